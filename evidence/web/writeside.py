"""The write side in the web app: /contribute for researchers, /curate for curators.

Off on public app servers (``EVIDENCE_WRITE_SIDE=off``): then neither is registered and
the app stays purely read-only. On, it adds signed session cookies (the key from
``EVIDENCE_SECRET_KEY``, or made once and kept in ``<instance>/secret_key``), CSRF
protection on every form (Flask-WTF) and a cap on request size.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import render_template
from flask_wtf.csrf import CSRFError

from ..curation.submissions import MAX_REQUEST
from .views import contribute, curate
from .writeguard import csrf


def secret_key(settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def init_app(app) -> None:
    settings = app.config["EVIDENCE"]
    if not settings.write_side:
        return
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(settings)
    app.config.update(
        SESSION_COOKIE_NAME="evidence_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies, MAX_CONTENT_LENGTH=MAX_REQUEST,
        # checked by the write side's blueprints themselves: the read side and the API have no forms
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=4 * 3600,
    )
    csrf.init_app(app)
    app.register_blueprint(contribute.bp)
    app.register_blueprint(curate.bp)

    @app.errorhandler(CSRFError)
    def _csrf_refused(exc):
        return render_template("error.html", status=403), 403
