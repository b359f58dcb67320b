"""The append-only audit log: who did what to which submission, and when."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from .store import audit_log, now


def record(conn: Connection, actor: str, action: str, submission_id: int | None = None, detail: str = "") -> None:
    conn.execute(insert(audit_log).values(at=now(), actor=actor[:300], action=action, submission_id=submission_id,
                                          detail=detail))


def entries(conn: Connection, submission_id: int | None = None, limit: int = 200) -> list:
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if submission_id is not None:
        query = query.where(audit_log.c.submission_id == submission_id)
    return list(conn.execute(query))
