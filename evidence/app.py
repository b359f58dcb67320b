"""The Flask application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .config import Settings, load_settings
from .db.extension import db
from .readside import ReadSide
from .search.reader import IndexHolder

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None, **overrides) -> Flask:
    """An app reading the built database and index named by ``settings``.

    ``overrides`` go to Flask's config (``TESTING=True``, say).
    """
    settings = settings or load_settings()
    app = Flask(
        "evidence",
        template_folder=str(ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
        instance_path=str(settings.instance_dir),
    )
    app.config.update(EVIDENCE=settings)
    app.json.sort_keys = False  # keep the export's field order: it is a documented contract
    app.config.update(overrides)
    read_side = app.extensions["evidence.read"] = ReadSide(settings)
    # one open index per process, always the request's published version (the database's too)
    app.extensions["evidence.search"] = IndexHolder(settings.index_dir, resolve=read_side.index_path)
    db.init_app(app)

    from . import api, web
    from .web import hosts

    web.init_app(app)
    api.init_app(app)
    hosts.init_app(app)

    @app.get("/healthz")
    def healthz():
        """200 when the database and the index open, hold one version and answer a query; else 503 and why."""
        ok, details = read_side.health(app.extensions["evidence.search"])
        body = {"status": "ok" if ok else "unavailable", **details}
        return body, 200 if ok else 503, {"Cache-Control": "no-store"}

    return app
