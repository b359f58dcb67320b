"""The postings columns hold exactly Whoosh's postings, and follow incremental updates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evidence import build as build_module
from evidence.config import load_settings
from evidence.search import indexer, postings
from evidence.search.documents import documents
from evidence.search.blocks import read_all
from evidence.search.postings import PostingsColumns
from evidence.search.reader import IndexHolder


@pytest.fixture
def corpus_index(built_settings):
    """The built corpus's postings columns, its reader and its one segment."""
    opened = IndexHolder(built_settings.index_dir).current()
    reader = opened.searcher().reader()
    (leaf, _), = reader.leaf_readers()
    return PostingsColumns.load(opened.path), reader, leaf


def test_every_term_has_whoosh_postings(corpus_index):
    columns, reader, leaf = corpus_index
    for field in postings.FIELDS:
        terms = list(leaf.lexicon(field))
        assert terms
        for btext in terms:
            docs, weights, _ = read_all(leaf._terms.matcher(field, btext, reader.schema[field].format), False)
            held = columns.get(field, btext)
            assert np.array_equal(held[0], docs) and np.array_equal(held[1], weights.astype(np.float32)), (field, btext)
        assert len(columns.get(field, b"\xff-no-such-term")[0]) == 0
    assert columns.get("title", b"anything") is None  # only the free-text fields are held


def _update(settings, prepared, title: str):
    studies = [dict(s) for s in prepared.studies]
    studies[0]["title"] = title
    after = dataclasses.replace(prepared, studies=studies, dataset_version=title)
    upsert = [d for d in documents(after) if d["id"] == studies[0]["id"]]
    indexer.swap(settings, indexer.update_aside(settings, upsert, [], dataset_version="x"))


def test_updates_link_the_columns_and_a_merge_writes_them_again(tmp_path, data_dir, monkeypatch):
    settings = load_settings(env={}, data_dir=data_dir, instance_dir=tmp_path / "i")
    prepared = build_module.prepare(data_dir)
    indexer.swap(settings, indexer.build_aside(settings, prepared))
    _update(settings, prepared, "first update")
    opened = IndexHolder(settings.index_dir).current()
    columns = PostingsColumns.load(opened.path)
    leaves = list(opened.searcher().reader().leaf_readers())
    assert len(leaves) == 2 and columns.covered(leaves) == 1

    # with merges allowed at every update, Whoosh merges small segments now and then: whenever the
    # layout changes the columns are written again, so they always hold a leading run of segments
    monkeypatch.setattr(indexer, "MAX_SEGMENTS", 1)
    rewritten = 0
    for i in range(8):
        _update(settings, prepared, f"update {i}")
        opened = IndexHolder(settings.index_dir).current()
        leaves = list(opened.searcher().reader().leaf_readers())
        covered = PostingsColumns.load(opened.path).covered(leaves)
        assert covered >= 1
        rewritten += covered == len(leaves)
    assert rewritten


def test_every_term_has_whoosh_positions(corpus_index):
    columns, reader, leaf = corpus_index
    for field in postings.FIELDS:
        fmt = reader.schema[field].format
        for btext in leaf.lexicon(field):
            docs, _, values = read_all(leaf._terms.matcher(field, btext, fmt), True)
            expected = [(d << 32) | p for d, v in zip(docs.tolist(), values) for p in fmt.decode_positions(v)]
            assert columns.positions(field, btext).tolist() == expected, (field, btext)
            within = docs[::2]  # a phrase asks for its candidate documents only
            kept = set(within.tolist())
            assert columns.positions(field, btext, within).tolist() == [k for k in expected if k >> 32 in kept]
    assert len(columns.positions("da", b"\xff-no-such-term")) == 0
