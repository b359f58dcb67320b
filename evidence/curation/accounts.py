"""Curator accounts (made on the command line) and their server-side login sessions.

Passwords are hashed with werkzeug's scrypt. A session is a random id; the signed cookie
holds that id and the store only its SHA-256 (a copy of the store gives no live session),
so logging out (or an expired session) ends it on the server even if the cookie is
replayed, and each login starts a new id (no session fixation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import Connection, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, limits
from .store import curators, now, sessions

EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")
MIN_PASSWORD = 12
#: A session ends after this long without a request, and in any case after MAX_SESSION.
IDLE_SECONDS = 2 * 60 * 60
MAX_SESSION = 12 * 60 * 60
#: Checked when the e-mail is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")


class AccountError(ValueError):
    pass


def add_curator(conn: Connection, email: str, password: str) -> int:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise AccountError(f"'{email}' is not an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if conn.execute(select(curators.c.id).where(curators.c.email == email)).first():
        raise AccountError(f"a curator with the e-mail {email} exists already")
    cid = conn.execute(insert(curators).values(email=email, password_hash=generate_password_hash(
        password, method="scrypt"), created_at=now(), active=True)).inserted_primary_key[0]
    audit.record(conn, "evidence curator add", "curator-added", detail=email)
    return cid


def authenticate(conn: Connection, email: str, password: str) -> tuple[int | None, str]:
    """(curator id, "") for a good login; (None, "locked" or "wrong") otherwise. Failures count to a lockout."""
    email = email.strip().lower()[:254]
    if limits.locked(conn, email):
        audit.record(conn, email or "anonymous", "login-locked")
        return None, "locked"
    row = conn.execute(select(curators).where(curators.c.email == email, curators.c.active.is_(True))).first()
    good = check_password_hash(row.password_hash if row else _DUMMY_HASH, password) and row is not None
    if not good:
        limits.failed(conn, email)
        audit.record(conn, email or "anonymous", "login-failed")
        return None, "wrong"
    limits.succeeded(conn, email)
    audit.record(conn, email, "login")
    return row.id, ""


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start_session(conn: Connection, curator_id: int) -> str:
    sid = secrets.token_urlsafe(32)
    stamp = now()
    conn.execute(insert(sessions).values(id=_key(sid), curator_id=curator_id, started_at=stamp, seen_at=stamp))
    return sid


def _age(stamp: str) -> float:
    return (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(stamp)).total_seconds()


def current(conn: Connection, sid: str | None):
    """The curator row of a live session, or None; a live session's last-seen time moves on."""
    if not sid or not isinstance(sid, str) or len(sid) > 64:
        return None
    row = conn.execute(select(sessions).where(sessions.c.id == _key(sid))).first()
    if row is None or row.ended_at or _age(row.seen_at) > IDLE_SECONDS or _age(row.started_at) > MAX_SESSION:
        return None
    curator = conn.execute(select(curators).where(curators.c.id == row.curator_id,
                                                  curators.c.active.is_(True))).first()
    if curator is not None:
        conn.execute(update(sessions).where(sessions.c.id == _key(sid)).values(seen_at=now()))
    return curator


def end_session(conn: Connection, sid: str | None) -> None:
    if sid and isinstance(sid, str):
        conn.execute(update(sessions).where(sessions.c.id == _key(sid), sessions.c.ended_at.is_(None))
                     .values(ended_at=now()))
