"""Approve or reject a submission: every step in the audit log.

Approving writes the records exactly as ``evidence import csv`` would (all files or none),
only after the plan, made again against today's data, has no problem; then it runs the
incremental build. One approval at a time (a lock file in the instance folder), so two
curators never write ``data/`` at once.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ..config import Settings
from . import audit
from .submissions import by_id, decide, inside, review


@dataclass
class Outcome:
    done: bool
    problems: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    built: str | None = None  # the dataset version the build made


@contextmanager
def one_at_a_time(settings: Settings):
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.instance_dir / "curation.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def approve(settings: Settings, engine: Engine, sid: int, curator: str, *, confirm: bool = False,
            term_edits: dict | None = None) -> Outcome:
    with one_at_a_time(settings):
        with engine.connect() as conn:
            row = by_id(conn, sid)
        if row is None or row.status != "pending":
            return Outcome(False, ["this submission is no longer pending"])
        result = review(settings, row, curator=curator, confirm=confirm, term_edits=term_edits)
        if result.problems:
            with engine.begin() as conn:
                audit.record(conn, curator, "approve-refused", sid,
                             "; ".join(str(p) for p in result.problems)[:4000])
            return Outcome(False, [str(p) for p in result.problems])
        writes = result.plan.writes
        if not inside(settings.data_dir, writes):
            raise RuntimeError("an approval would write outside the data folder")
        written = [p.relative_to(settings.data_dir).as_posix() for p in writes]
        with engine.begin() as conn:
            if not decide(conn, sid, "approved", curator, written=written):
                return Outcome(False, ["this submission is no longer pending"])
            # written inside the transaction: if writing fails, the submission stays pending
            result.plan.write()
            audit.record(conn, curator, "approved", sid, "wrote " + (", ".join(written) or "nothing (unchanged)"))
        built = rebuild(settings, engine, curator, sid)
        if not built.startswith("built"):
            return Outcome(True, [built], written)
        return Outcome(True, [], written, built.removeprefix("built dataset "))


def rebuild(settings: Settings, engine: Engine, curator: str, sid: int | None = None) -> str:
    """Run the incremental build after a write to data/; what happened, also in the audit log."""
    from ..build import BuildError, build  # the build is heavy: loaded when a curator writes

    try:
        prepared = build(settings, incremental=True)
    except BuildError as exc:
        with engine.begin() as conn:
            audit.record(conn, curator, "build-failed", sid, "; ".join(str(p) for p in exc.problems)[:4000])
        return "written, but the build failed: " + "; ".join(str(p) for p in exc.problems)[:1000]
    with engine.begin() as conn:
        audit.record(conn, curator, "built", sid, f"dataset {prepared.dataset_version}")
    return f"built dataset {prepared.dataset_version}"


def reject(engine: Engine, sid: int, curator: str, reason: str) -> Outcome:
    reason = reason.strip()[:2000]
    if not reason:
        return Outcome(False, ["say why: the submitter sees the reason"])
    with engine.begin() as conn:
        if not decide(conn, sid, "rejected", curator, reason=reason):
            return Outcome(False, ["this submission is no longer pending"])
        audit.record(conn, curator, "rejected", sid, reason)
    return Outcome(True)
