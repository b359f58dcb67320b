"""An incremental index update answers as a full rebuild of the same data does."""

from __future__ import annotations

import dataclasses
import os

import pytest

from evidence import build as build_module
from evidence.config import load_settings
from evidence.search import indexer
from evidence.search.columns import Columns
from evidence.search.documents import documents
from evidence.search.reader import IndexHolder
from evidence.search.service import search

QUERIES = [
    ("", {}, "relevance"), ("", {}, "year"), ("", {}, "effect"), ("", {}, "strength"),
    ("recidivism", {}, "relevance"), ("tilbagefald", {}, "year"), ("CBT", {"evidence_level": "1"}, "effect"),
    ("", {"intervention": "cbt-offenders"}, "strength"), ("", {"decade": ["2000", "2010"]}, "year"),
    ("employment", {"year_from": "2005"}, "relevance"), ("zzzunfindable", {}, "relevance"),
]


def answer(holder, q, filters, sort):
    r = search(holder, q, filters, sort, per_page=100, lang="en").to_dict()
    # the update rewrites the columns: the statistics are the new set's, so even the scores are a rebuild's
    return {"total": r["total"], "facets": r["facets"], "hits": [(h["id"], round(h["score"], 9)) for h in r["hits"]]}


@pytest.fixture
def two(tmp_path, data_dir):
    full = load_settings(env={}, data_dir=data_dir, instance_dir=tmp_path / "full")
    inc = load_settings(env={}, data_dir=data_dir, instance_dir=tmp_path / "inc")
    return build_module.prepare(data_dir), full, inc


def test_an_incremental_update_equals_a_full_rebuild(two):
    prepared, full, inc = two
    indexer.swap(inc, indexer.build_aside(inc, prepared))
    holder = IndexHolder(inc.index_dir)
    assert search(holder, "").total == len(prepared.studies)

    studies = [dict(s) for s in prepared.studies]
    deleted = studies.pop(0)["id"]
    studies[0]["title"] = "Zanzibarian fishermen and their recidivism"
    studies[1]["year"] = 1987
    changed = [studies[0]["id"], studies[1]["id"]]
    after = dataclasses.replace(prepared, studies=studies, dataset_version="after")
    upsert = [d for d in documents(after) if d["id"] in changed]

    aside = indexer.update_aside(inc, upsert, [deleted], dataset_version="after")
    indexer.swap(inc, aside)
    indexer.swap(full, indexer.build_aside(full, after))
    fresh = IndexHolder(full.index_dir)
    for q, filters, sort in QUERIES:
        assert answer(holder, q, filters, sort) == answer(fresh, q, filters, sort), (q, filters, sort)
    assert search(holder, "zanzibarian").total == 1
    assert search(holder, "").dataset_version == "after"
    assert deleted not in {h.id for h in search(holder, "", per_page=100).hits}

    # a second update on top of the first; the saved facet columns are those of the stored cards
    indexer.swap(inc, indexer.update_aside(inc, [], [changed[1]]))
    current = holder.current()
    rebuilt = Columns.from_cards(current.doc_count, current.files.cards())
    cols = current.columns
    for key in ("year", "strength", "level", "ids", "live"):
        assert (getattr(cols, key) == getattr(rebuilt, key)).all(), key
    assert search(holder, "").total == len(prepared.studies) - 2 == current.doc_count


def test_the_update_leaves_the_live_index_untouched(two):
    prepared, _full, inc = two
    indexer.swap(inc, indexer.build_aside(inc, prepared))
    live = os.path.realpath(inc.index_dir)
    listing = {e.name: e.stat().st_size for e in os.scandir(live)}
    total = search(live, "").total
    aside = indexer.update_aside(inc, [], [prepared.studies[0]["id"]])
    assert {e.name: e.stat().st_size for e in os.scandir(live)} == listing
    assert search(live, "").total == total and search(aside, "").total == total - 1
    indexer.discard(aside)
