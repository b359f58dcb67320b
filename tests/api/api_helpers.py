"""Helpers for the API tests (imported by name: the tests folders are not packages)."""

from __future__ import annotations

import re
from pathlib import Path

BCG_RR = "bcg-vaccination.tuberculosis-trial-populations.tuberculosis.no-intervention.not-stated.RR"
CBT = "cbt-offenders.offenders.recidivism.control.0-12m.RR"


def edit_study(data_dir: Path, study: str, pattern: str, replacement: str) -> None:
    """Change one value in one study record (a regular expression that must match once)."""
    path = data_dir / "studies" / f"{study}.yaml"
    text, n = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)
    assert n == 1, f"{pattern!r} not found in {path}"
    path.write_text(text, encoding="utf-8")


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    return body


def drop_tables(settings) -> None:
    """A server database may hold an earlier test's build: start from nothing (SQLite files are private)."""
    from evidence.db.models import Base
    from evidence.db.session import make_engine

    if settings.sqlite_path is None:
        engine = make_engine(settings.database_url)
        Base.metadata.drop_all(engine)
        engine.dispose()
