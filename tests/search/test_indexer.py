"""The index is built into the published folder and switched in with it; a failed build changes nothing."""

from __future__ import annotations

import os

import pytest

from evidence import build as build_module
from evidence.build import build
from evidence.config import load_settings
from evidence.search import indexer
from evidence.search.reader import IndexHolder, IndexMissing
from evidence.services.search import search


@pytest.fixture
def sqlite_settings(tmp_path, data_dir):
    return load_settings(env={}, data_dir=data_dir, instance_dir=tmp_path / "instance")


def versions(settings):
    return sorted(p.name for p in settings.index_dir.parent.glob(f".{settings.index_dir.name}.read-*"))


def test_build_publishes_a_new_folder_and_keeps_one_previous(sqlite_settings):
    build(sqlite_settings)
    first = os.path.realpath(sqlite_settings.index_dir)
    assert sqlite_settings.index_dir.is_symlink() and len(versions(sqlite_settings)) == 1
    holder = IndexHolder(sqlite_settings.index_dir)
    assert holder.current().path == first
    build(sqlite_settings)
    second = os.path.realpath(sqlite_settings.index_dir)
    assert second != first and os.path.exists(first)  # kept one build longer for requests in flight
    build(sqlite_settings)
    third = os.path.realpath(sqlite_settings.index_dir)
    assert not os.path.exists(first)
    assert versions(sqlite_settings) == sorted(os.path.basename(os.path.dirname(p)) for p in (second, third))
    assert holder.current().path == third  # the reader follows the switch
    assert search(holder, "recidivism").total > 0


def test_failed_database_write_leaves_the_index_alone(sqlite_settings, monkeypatch):
    build(sqlite_settings)
    before = os.path.realpath(sqlite_settings.index_dir)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "write_database", broken)
    with pytest.raises(RuntimeError):
        build(sqlite_settings)
    assert os.path.realpath(sqlite_settings.index_dir) == before
    assert versions(sqlite_settings) == [os.path.basename(os.path.dirname(before))]


def test_a_build_moves_an_older_layout_to_published_folders(sqlite_settings):
    """A plain index folder and database file (with a journal a killed build left) become one published pair."""
    prepared = build_module.prepare(sqlite_settings.data_dir)
    indexer.write_index(sqlite_settings.index_dir, prepared)  # an index made as a plain directory
    db = sqlite_settings.sqlite_path
    db.write_bytes(b"")
    db.with_name(db.name + "-journal").write_bytes(b"stale")
    db.with_name(f".{db.name}.building-1234").write_bytes(b"half")
    build(sqlite_settings, incremental=True)
    assert os.readlink(sqlite_settings.index_dir) == ".index.current/index"
    assert os.readlink(db) == ".index.current/evidence.db"
    names = sorted(p.name for p in db.parent.iterdir())
    assert names == sorted([".index.current", ".index.lock", versions(sqlite_settings)[0], "evidence.db", "index"])
    assert search(sqlite_settings.index_dir, "CBT").total > 0


def test_missing_index_is_reported(tmp_path):
    with pytest.raises(IndexMissing):
        search(tmp_path / "nowhere", "x")

