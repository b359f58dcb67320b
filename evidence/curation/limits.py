"""Rate limits and lockouts, counted in the store so every worker process sees the same counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, delete, func, insert, select

from .store import attempts, now

#: kind -> (most attempts, in this many seconds)
LIMITS = {
    "login": (10, 15 * 60),  # login attempts from one address
    "submit": (30, 60 * 60),  # submissions (and their checks, as a researcher fixes a file) from one address
}
#: An account is locked after this many failed logins in a row, for LOCK_SECONDS after the last one.
LOCK_AFTER = 5
LOCK_SECONDS = 15 * 60


def _since(seconds: int) -> str:
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=seconds)
    return moment.isoformat()


def count(conn: Connection, kind: str, key: str, seconds: int) -> int:
    return conn.execute(select(func.count()).select_from(attempts).where(
        attempts.c.kind == kind, attempts.c.key == key[:300], attempts.c.at >= _since(seconds))).scalar_one()


def hit(conn: Connection, kind: str, key: str) -> None:
    conn.execute(insert(attempts).values(at=now(), kind=kind, key=key[:300]))


#: Attempts older than this are forgotten (every window above is shorter).
KEEP_SECONDS = 24 * 60 * 60


def allowed(conn: Connection, kind: str, key: str) -> bool:
    """Record one attempt of ``kind`` from ``key``; False when over the limit (the attempt is refused)."""
    conn.execute(delete(attempts).where(attempts.c.at < _since(KEEP_SECONDS)))  # the table stays small
    most, seconds = LIMITS[kind]
    if count(conn, kind, key, seconds) >= most:
        return False
    hit(conn, kind, key)
    return True


def locked(conn: Connection, email: str) -> bool:
    """Too many failed logins in a row for this e-mail (known or not: the answer tells nothing about accounts)."""
    return count(conn, "login-failed", email.lower(), LOCK_SECONDS) >= LOCK_AFTER


def failed(conn: Connection, email: str) -> None:
    hit(conn, "login-failed", email.lower())


def succeeded(conn: Connection, email: str) -> None:
    """A good login clears the run of failures."""
    conn.execute(delete(attempts).where(attempts.c.kind == "login-failed", attempts.c.key == email.lower()[:300]))
