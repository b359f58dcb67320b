"""Engines and sessions.

SQLite engines use no connection pool: the build swaps the database file, and
a fresh connection per use always opens the current file.
"""

from __future__ import annotations

import json

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool


class EncodedJSON(str):
    """JSON text already encoded for a JSON column (a pooled result, :mod:`evidence.services.packed`): written
    as it is, where any other value is encoded with ``json.dumps``, as SQLAlchemy's JSON type does by default."""


def serialize_json(value) -> str:
    return str(value) if type(value) is EncodedJSON else json.dumps(value)


def make_engine(url: str, readonly: bool = False, **kwargs) -> Engine:
    """An engine for ``url``; ``readonly`` opens an SQLite file without creating it."""
    kwargs.setdefault("json_serializer", serialize_json)
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
