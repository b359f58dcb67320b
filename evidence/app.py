"""The Flask application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .config import Settings, load_settings
from .db.extension import db

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
    db.init_app(app)

    from . import api, web

    web.init_app(app)
    api.init_app(app)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
