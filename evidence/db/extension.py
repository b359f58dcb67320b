"""The database as a Flask extension: one session per request, on the request's version of the read side.

The engines belong to :class:`evidence.readside.ReadSide` (one per published
version), so a request's session and its search index come from one build.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session


class Database:
    def __init__(self, app: Flask | None = None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        from ..readside import ReadSide

        app.extensions.setdefault("evidence.read", ReadSide(app.config["EVIDENCE"]))
        app.teardown_appcontext(self._close)

    @staticmethod
    def session() -> Session:
        """The request's read-only session (the read side is rebuilt, never edited)."""
        from flask import current_app

        if "db_session" not in g:
            g.db_session = current_app.extensions["evidence.read"].sessionmaker()()
        return g.db_session

    @staticmethod
    def _close(_exc=None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
