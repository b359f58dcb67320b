"""A change to the analysers (or the other code the index files are made by) changes the build's code hash,
so the next build is a full one: an incremental update would add postings analysed another way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence import prepared as build_module
from tests.architecture import graph, modules

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


#: Modules the build imports that do not shape what it writes (settings, publishing the files as written, the
#: read side that services/search and the publish check open, a cache): a change to them needs no full build.
NOT_WRITING = {"config.py", "publish.py", "sealing.py", "versions.py", "lru.py", "search/engine.py",
               "search/matches.py", "search/reader.py"}


def test_every_module_the_build_runs_is_hashed_or_said_not_to_shape_its_output():
    known = modules(PACKAGE.parent, ("evidence",))
    edges = graph(known)
    reached, todo = set(), ["evidence.build", "evidence.incremental"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(edges[module])
    hashed = set()
    for name in build_module.CODE:
        path = PACKAGE / name
        hashed.update(path.rglob("*.py") if path.is_dir() else [path])
    missing = sorted(known[m].relative_to(PACKAGE).as_posix() for m in reached
                     if known[m] not in hashed and known[m].relative_to(PACKAGE).as_posix() not in NOT_WRITING)
    assert missing == []
