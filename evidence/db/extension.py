"""The database as a Flask extension: one engine per app, one session per request."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session, sessionmaker

from .session import make_engine


class Database:
    def __init__(self, app: Flask | None = None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["EVIDENCE"].database_url, readonly=True)
        app.extensions["evidence.db"] = sessionmaker(engine, expire_on_commit=False)
        app.teardown_appcontext(self._close)

    @staticmethod
    def session() -> Session:
        """The request's read-only session (the read side is rebuilt, never edited)."""
        from flask import current_app

        if "db_session" not in g:
            g.db_session = current_app.extensions["evidence.db"]()
        return g.db_session

    @staticmethod
    def _close(_exc=None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
