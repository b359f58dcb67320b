"""Fixtures for the importer tests: data folders, the real `evidence import` command, tree hashes.

These are not parametrised over databases: importing touches only the data folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixture_data import assemble_vocabularies, study_file
from import_helpers import check_reference_dir


@pytest.fixture
def reference_dir() -> Path:
    return check_reference_dir()


@pytest.fixture
def empty_data_dir(tmp_path) -> Path:
    """A data folder with the repository's vocabularies (and the fixtures' terms) and no studies."""
    target = tmp_path / "empty-data"
    (target / "studies").mkdir(parents=True)
    assemble_vocabularies(target / "vocabularies")
    return target


@pytest.fixture
def small_data_dir(tmp_path) -> Path:
    """The repository's vocabularies and four seed studies, two of them fixtures (quick to load)."""
    target = tmp_path / "small-data"
    (target / "studies").mkdir(parents=True)
    assemble_vocabularies(target / "vocabularies")
    for sid in ("guerra-1990", "rosenthal-1960", "normand1999-edinburgh", "ashworth-1992"):
        shutil.copy(study_file(sid), target / "studies")
    return target
