"""Helpers for the export tests (imported by name: the tests folders are not packages)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from evidence.db.session import make_engine
from evidence.services.parameters import Source, load_current


def load_source(settings) -> Source:
    engine = make_engine(settings.database_url, readonly=True)
    try:
        with Session(engine) as session:
            return load_current(session)
    finally:
        engine.dispose()


def edit_study(data_dir: Path, study: str, pattern: str, replacement: str) -> None:
    """Change one value in one study record (a regular expression that must match once)."""
    path = data_dir / "studies" / f"{study}.yaml"
    text, n = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)
    assert n == 1, f"{pattern!r} not found in {path}"
    path.write_text(text, encoding="utf-8")
