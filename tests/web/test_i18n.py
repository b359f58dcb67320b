"""Danish by default, English on request and remembered; catalogs complete and compiled."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "evidence" / "translations"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted() -> set[str]:
    method_map = [("evidence/web/**.py", "python"), ("evidence/search/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_babel_cfg_names_the_same_sources():
    cfg = (ROOT / "babel.cfg").read_text()
    for pattern in ("[python: evidence/web/**.py]", "[python: evidence/search/**.py]", "[jinja2: templates/**.html]"):
        assert pattern in cfg


def test_every_message_has_a_danish_translation():
    with (TRANSLATIONS / "da" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="da")
    missing = [m for m in extracted() if not (catalog.get(m) and catalog.get(m).string)]
    assert not missing, f"run the update steps in docs/search-and-pages.md; untranslated: {missing[:10]}"


def _text(string):
    """A message id or translation; a plural message's ids or forms as a tuple (None when all are empty)."""
    if isinstance(string, (list, tuple)):
        return tuple(string) if any(string) else None
    return string


def test_compiled_catalogs_match_their_po_files():
    for lang in ("da", "en"):
        folder = TRANSLATIONS / lang / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as fh:
            po = read_po(fh, locale=lang)
        mo = read_mo(io.BytesIO((folder / "messages.mo").read_bytes()))
        po_strings = {_text(m.id): _text(m.string) for m in po if m.id and _text(m.string) and not m.fuzzy}
        mo_strings = {_text(m.id): _text(m.string) for m in mo if m.id and _text(m.string)}
        assert po_strings == mo_strings, f"{lang}: messages.mo is stale; run pybabel compile -d evidence/translations"


def test_danish_by_default_and_english_remembered(app):
    client = app.test_client()
    assert '<html lang="da">' in client.get("/").get_data(as_text=True)
    response = client.get("/?lang=en")
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/map").get_data(as_text=True)  # the cookie
    assert "Hvad virker?" in client.get("/?lang=da").get_data(as_text=True)
    assert '<html lang="da">' in client.get("/map").get_data(as_text=True)


def test_language_switch_keeps_the_page_state(client):
    html = client.get("/search?q=CBT&design=rct").get_data(as_text=True)
    assert 'href="/search?q=CBT&amp;design=rct&amp;lang=en"' in html


def test_vocabulary_labels_follow_the_language(client):
    assert "Tilbagefald til kriminalitet" in client.get("/outcomes/recidivism?lang=da").get_data(as_text=True)
    assert "Recidivism (reoffending)" in client.get("/outcomes/recidivism?lang=en").get_data(as_text=True)


def test_remembered_translations_follow_each_requests_language(app):
    """Template messages and code labels are remembered per language: switching back and forth stays right."""
    client = app.test_client()
    for lang, title, design in [("da", "Søg i studierne", "Randomiseret kontrolleret forsøg"),
                                ("en", "Search the studies", "Randomised controlled trial"),
                                ("da", "Søg i studierne", "Randomiseret kontrolleret forsøg"),
                                ("en", "Search the studies", "Randomised controlled trial")]:
        html = client.get(f"/search?design=rct&lang={lang}").get_data(as_text=True)
        assert title in html and design in html, lang


def test_translations_outside_a_request_are_flask_babels(app):
    from evidence.web import labels

    assert labels.design("rct") == "Randomised controlled trial"  # no request: the source language
    assert app.jinja_env.from_string("{{ _('Search the studies') }}").render() == "Search the studies"
