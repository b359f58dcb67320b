"""Engines and sessions.

SQLite engines use no connection pool: the build swaps the database file, and
a fresh connection per use always opens the current file.
"""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool


def make_engine(url: str, readonly: bool = False, **kwargs) -> Engine:
    """An engine for ``url``; ``readonly`` opens an SQLite file without creating it."""
    if url.startswith("sqlite"):
        if readonly and url.startswith("sqlite:///") and ":memory:" not in url \
                and not url.startswith("sqlite:///file:"):  # already a URI (evidence.versions makes them)
            path = url[len("sqlite:///"):]
            url = f"sqlite:///file:{path}?mode=ro&uri=true"
        engine = create_engine(url, poolclass=NullPool, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)
