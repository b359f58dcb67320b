"""The data the tests build: the repository's ``data/`` plus the test fixtures.

The BCG-vaccine, stroke-care and writing-to-learn records (Colditz et al. 1994,
Normand 1999, Bangert-Drowns et al. 2004, from R's metadat) are not part of the
published knowledge base: they are off its social-policy mission. They live on
in ``tests/fixtures/data/`` — their records and the vocabulary terms only they
use — because the golden tests check import → build → pooling → export on them
against metafor. ``assemble_data`` lays both out as one data folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DATA = ROOT / "tests" / "fixtures" / "data"


def assemble_data(target: Path) -> Path:
    """A data folder at ``target``: ``data/`` (without the source CSVs) with the fixture records and terms added."""
    shutil.copytree(ROOT / "data", target, ignore=shutil.ignore_patterns("sources", "vocabularies"))
    for path in sorted((FIXTURE_DATA / "studies").glob("*.yaml")):
        shutil.copy(path, target / "studies" / path.name)
    assemble_vocabularies(target / "vocabularies")
    return target


def assemble_vocabularies(target: Path) -> Path:
    """The repository's vocabularies with the fixture terms appended, at ``target``."""
    shutil.copytree(ROOT / "data" / "vocabularies", target)
    for path in sorted((FIXTURE_DATA / "vocabularies").glob("*.yaml")):
        # Each vocabulary file is one YAML list, so the fixture terms append as text.
        with open(target / path.name, "a", encoding="utf-8") as fh:
            fh.write(path.read_text(encoding="utf-8"))
    return target


def study_file(sid: str) -> Path:
    """A study record of the test data: in ``data/studies`` or among the fixtures."""
    published = ROOT / "data" / "studies" / f"{sid}.yaml"
    return published if published.exists() else FIXTURE_DATA / "studies" / f"{sid}.yaml"
