"""Helpers shared by the importer tests (imported by name: the test folders are not packages)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = Path(os.environ.get("EVIDENCE_REFERENCE_DIR", ROOT / "tests" / "stats" / "reference"))


def check_reference_dir() -> Path:
    """The reference datasets' folder; the test fails (never skips) when they are missing."""
    names = ("bcg.csv", "landenberger2005.csv", "normand1999.csv", "bangertdrowns2004.csv")
    missing = [n for n in names if not (REFERENCE_DIR / n).is_file()]
    if missing:
        pytest.fail(f"the reference datasets are missing from {REFERENCE_DIR} ({', '.join(missing)});"
                    " set EVIDENCE_REFERENCE_DIR to the folder with bcg.csv, landenberger2005.csv, …")
    return REFERENCE_DIR


def run_import(data_dir: Path, *args: str):
    """``evidence import …`` through the real command group, with EVIDENCE_DATA_DIR = ``data_dir``."""
    from evidence.cli import main

    env = {"EVIDENCE_DATA_DIR": str(data_dir), "USER": "tester"}
    return CliRunner().invoke(main, ["import", *map(str, args)], env=env, catch_exceptions=False)


def tree_hash(folder: Path) -> str:
    """One hash over every file name and byte under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
