"""A change to the analysers (or the other code the index files are made by) changes the build's code hash,
so the next build is a full one: an incremental update would add postings analysed another way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence import prepared as hashing  # where code_hash() is defined: it hashes the files beside its module

PACKAGE = Path(hashing.__file__).resolve().parent


@pytest.mark.parametrize("module", ["search/analysis.py", "search/store.py", "search/documents.py", "search/schema.py"])
def test_changing_index_code_changes_the_code_hash(tmp_path, monkeypatch, module):
    original = hashing.code_hash()
    copy = tmp_path / "evidence"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(hashing, "__file__", str(copy / "prepared.py"))
    assert hashing.code_hash() == original  # the copy is hashed, and hashes as the package does
    path = copy / module
    path.write_text(path.read_text(encoding="utf-8") + "\nSTEMMER_CHANGED = True\n", encoding="utf-8")
    assert hashing.code_hash() != original
