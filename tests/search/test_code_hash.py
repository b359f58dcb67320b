"""A change to the analysers (or the other code the index files are made by) changes the build's code hash,
so the next build is a full one: an incremental update would add postings analysed another way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence import prepared as build_module

PACKAGE = Path(build_module.__file__).resolve().parent


@pytest.mark.parametrize("module", ["search/analysis.py", "search/store.py", "search/writing.py", "search/documents.py",
                                    "search/schema.py", "search/facets.py", "search/indexer.py"])
def test_changing_index_code_changes_the_code_hash(tmp_path, monkeypatch, module):
    original = build_module.code_hash()
    copy = tmp_path / "evidence"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(build_module, "__file__", str(copy / "build.py"))
    assert build_module.code_hash() == original  # the copy is hashed, and hashes as the package does
    path = copy / module
    path.write_text(path.read_text(encoding="utf-8") + "\nSTEMMER_CHANGED = True\n", encoding="utf-8")
    assert build_module.code_hash() != original
