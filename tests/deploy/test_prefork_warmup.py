"""gunicorn's pre_fork warm-up builds, in the master, what the workers' searches then use.

The speller, the facet labels and the facet values are looked up under keys of the open index's cache; if
the warm-up built one under another key (or built something else), a worker's first misspelt query would
build its own, and
the warm-up would be wasted without any error. So: warm up, then search a misspelt word, and no
new structure may appear in the open index's cache.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

from evidence.services.search import search

CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def _config():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Log:
    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        self.lines.append(message % args)


def test_the_warm_up_builds_the_engine_and_the_speller_a_misspelt_search_uses(app):
    holder = app.extensions["evidence.search"]
    holder.opened = None  # as in a fresh master: nothing opened yet
    log = _Log()
    _config()._open_index(SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app), log=log))
    assert log.lines == []  # neither the index nor the health check failed
    opened = holder.current()
    warmed = dict(opened.cache)
    assert set(warmed) == {"engine", "speller", "facet-labels-da", "facet-labels-en", "facet-values"}
    for lang in ("da", "en"):
        result = search(holder, q="recidivsm", lang=lang)  # no such word: the speller is asked
        assert result.suggestions and result.facets  # they were used …
    assert opened.cache == warmed  # … and they are the ones the warm-up built


def test_the_warm_up_compiles_every_template_a_page_then_uses(app, monkeypatch):
    import jinja2

    app.jinja_env.cache.clear()  # as in a fresh master (the app is the session's: other tests rendered pages)
    log = _Log()
    _config()._compile_templates(SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app), log=log))
    assert log.lines == []
    compiled = []
    original = jinja2.Environment.compile

    def counting(self, *args, **kwargs):
        compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
        return original(self, *args, **kwargs)
    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    client = app.test_client()
    for url in ("/search?q=housing", "/search?q=recidivsm&lang=en", "/studies/no-such-study", "/"):
        client.get(url)
    assert compiled == []  # every template the pages rendered was compiled by the warm-up
