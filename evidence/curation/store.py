"""The curation store's tables and engine.

Table names start with ``curation_`` so they can live in the configured PostgreSQL database
beside the read side (``evidence build`` drops and creates only the read side's own tables),
or, by default, in their own SQLite file. The audit log is append-only in the database
itself: a trigger refuses every UPDATE and DELETE of it.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.pool import NullPool

from ..config import Settings

metadata = MetaData()

curators = Table(
    "curation_curators", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

sessions = Table(
    "curation_sessions", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of a random token; the cookie holds the token, signed
    Column("curator_id", Integer, ForeignKey("curation_curators.id"), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("seen_at", String(32), nullable=False),
    Column("ended_at", String(32)),
)

submissions = Table(
    "curation_submissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(64), nullable=False, unique=True),  # the researcher's follow link
    Column("status", String(16), nullable=False),  # pending | approved | rejected
    Column("created_at", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("affiliation", String(300), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("csv_name", String(120), nullable=False),
    Column("csv_data", LargeBinary, nullable=False),
    Column("bib_name", String(120)),
    Column("bib_data", LargeBinary),
    Column("options", Text, nullable=False),  # JSON: intervention, target_group, … and source
    Column("decided_at", String(32)),
    Column("decided_by", String(254)),
    Column("reason", Text),  # a rejection's reason, shown to the submitter
    Column("written", Text),  # JSON: the files an approval wrote
)

audit_log = Table(
    "curation_audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(300), nullable=False),  # a curator's e-mail, "submitter NAME <e-mail>", or "anonymous"
    Column("action", String(40), nullable=False),
    Column("submission_id", Integer),
    Column("detail", Text, nullable=False, default=""),
)

attempts = Table(
    "curation_attempts", metadata,  # for rate limits and lockouts; old rows may be pruned
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("key", String(300), nullable=False),
)

_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS curation_audit_no_update BEFORE UPDATE ON curation_audit_log"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS curation_audit_no_delete BEFORE DELETE ON curation_audit_log"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION curation_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
        "DROP TRIGGER IF EXISTS curation_audit_append_only ON curation_audit_log",
        "CREATE TRIGGER curation_audit_append_only BEFORE UPDATE OR DELETE ON curation_audit_log"
        " FOR EACH ROW EXECUTE FUNCTION curation_audit_append_only()",
    ],
}


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def check_url(settings: Settings) -> str:
    """The store's URL; refused when it is the read side's SQLite file, which every build replaces."""
    url = settings.curation_database_url
    if url.startswith("sqlite") and url == settings.database_url:
        raise ValueError("EVIDENCE_CURATION_DATABASE_URL is the read-side SQLite database, which `evidence build`"
                         " replaces: give the curation store its own file")
    return url


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine_for(settings: Settings) -> Engine:
    """One engine per store URL per process, with the tables (and the audit log's trigger) made."""
    url = check_url(settings)
    with _lock:
        if url not in _engines:
            if url.startswith("sqlite:///"):
                from pathlib import Path

                Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

                @event.listens_for(engine, "connect")
                def _pragmas(dbapi_connection, _record):
                    cursor = dbapi_connection.cursor()
                    cursor.execute("PRAGMA foreign_keys=ON")
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.close()
            else:
                engine = create_engine(url, pool_pre_ping=True)
            with engine.begin() as conn:
                metadata.create_all(conn)
                for statement in _APPEND_ONLY.get(engine.dialect.name, []):
                    conn.execute(text(statement))
            _engines[url] = engine
        return _engines[url]
