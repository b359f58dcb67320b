"""A full build's index analysed in worker processes is byte for byte the one a single process writes."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from fixture_data import assemble_data

from evidence import build as build_module
from evidence.build import build
from evidence.config import load_settings
from evidence.search import indexer


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return build_module.prepare(assemble_data(tmp_path_factory.mktemp("data") / "data", sample=True))


def files_of(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_workers_write_the_index_a_single_process_writes(tmp_path, prepared, monkeypatch):
    with indexer.index_writing(tmp_path / "single", prepared, workers=1) as finish:
        finish()
    monkeypatch.setattr(indexer, "BATCH", 7)  # many batches per worker: its vocabulary grows between them
    with indexer.index_writing(tmp_path / "workers", prepared, workers=2, min_documents=1) as finish:
        finish()
    single, workers = files_of(tmp_path / "single"), files_of(tmp_path / "workers")
    assert len(prepared.studies) > 3 * 7 * 2 and "postings/words.positions.npy" in single
    assert single.keys() == workers.keys()
    for name, content in single.items():
        assert workers[name] == content, name


def test_a_document_that_fails_in_a_worker_fails_the_index(tmp_path, prepared, monkeypatch):
    documents = list(indexer.iter_documents(prepared))
    documents[5]["card"]["bad"] = {1}  # sent to the worker fine, not JSON
    monkeypatch.setattr(indexer, "iter_documents", lambda _: iter(documents))
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        with indexer.index_writing(tmp_path / "aside", prepared, workers=2, min_documents=1) as finish:
            finish()
    assert not (tmp_path / "aside").exists()


def test_a_failure_making_the_documents_fails_the_index(tmp_path, prepared, monkeypatch):
    def broken(_):
        yield from indexer.documents(prepared)[:3]
        raise RuntimeError("a record the index cannot read")

    monkeypatch.setattr(indexer, "iter_documents", broken)
    with pytest.raises(RuntimeError, match="cannot read"):
        with indexer.index_writing(tmp_path / "aside", prepared, workers=2, min_documents=1) as finish:
            finish()
    assert not (tmp_path / "aside").exists()


def test_a_failure_before_finishing_stops_the_workers(tmp_path, prepared):
    with pytest.raises(RuntimeError, match="database"):
        with indexer.index_writing(tmp_path / "aside", prepared, workers=2, min_documents=1):
            for _ in range(200):  # the workers start with the first batch handed out
                if multiprocessing.active_children():
                    break
                time.sleep(0.05)
            assert multiprocessing.active_children()
            raise RuntimeError("the database write failed")
    assert not multiprocessing.active_children() and not (tmp_path / "aside").exists()


def test_a_build_with_index_workers_publishes_the_same_index(tmp_path, monkeypatch):
    data = assemble_data(tmp_path / "data", sample=True)
    single = load_settings(env={}, data_dir=data, instance_dir=tmp_path / "single")
    build(single)
    monkeypatch.setattr(indexer, "PARALLEL_MIN", 1)
    monkeypatch.setattr(indexer, "BATCH", 5)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # workers even on a one-CPU machine
    pools = []
    monkeypatch.setattr(indexer, "ProcessPoolExecutor", lambda *a, **k: pools.append(1) or ProcessPoolExecutor(*a, **k))
    workers = load_settings(env={}, data_dir=data, instance_dir=tmp_path / "workers")
    build(workers, built_at="2026-01-01T00:00:00+00:00")
    one, two = files_of(single.index_dir.resolve()), files_of(workers.index_dir.resolve())
    assert pools == [1]
    assert one.keys() == two.keys() and all(two[name] == content for name, content in one.items())
