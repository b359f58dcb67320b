"""Fixtures for the importer tests: data folders, the real `evidence import` command, tree hashes.

These are not parametrised over databases: importing touches only the data folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from import_helpers import ROOT, check_reference_dir


@pytest.fixture
def reference_dir() -> Path:
    return check_reference_dir()


@pytest.fixture
def empty_data_dir(tmp_path) -> Path:
    """A data folder with the repository's vocabularies and no studies."""
    target = tmp_path / "empty-data"
    (target / "studies").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "vocabularies", target / "vocabularies")
    return target


@pytest.fixture
def small_data_dir(tmp_path) -> Path:
    """The repository's vocabularies and four of its seed studies (quick to load)."""
    target = tmp_path / "small-data"
    (target / "studies").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "vocabularies", target / "vocabularies")
    for sid in ("guerra-1990", "rosenthal-1960", "normand1999-edinburgh", "ashworth-1992"):
        shutil.copy(ROOT / "data" / "studies" / f"{sid}.yaml", target / "studies")
    return target
