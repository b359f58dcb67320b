"""An incremental index update answers as a full rebuild of the same data does."""

from __future__ import annotations

import dataclasses
import os
import random

import numpy as np
import pytest
from golden_rankings import SHAPES

from evidence import build as build_module
from evidence.search import indexer
from evidence.search.documents import documents
from evidence.search.reader import IndexHolder
from evidence.services.search import search

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


def cols_of(keys, key, cards):
    return keys[key][list(cards)].tolist()


class Live:
    """An index link as the read side has it: ``index`` points at the latest folder written."""

    def __init__(self, root):
        self.root, self.count = root, 0
        root.mkdir()

    @property
    def link(self):
        return self.root / "index"

    def next(self):
        self.count += 1
        return self.root / f"v{self.count}"

    def publish(self, folder):
        tmp = self.root / "index.tmp"
        os.symlink(folder.name, tmp)
        os.replace(tmp, self.link)


@pytest.fixture
def two(tmp_path, data_dir):
    return build_module.prepare(data_dir), Live(tmp_path / "full"), Live(tmp_path / "inc")


def update(live, upsert, deleted, version=None):
    folder = live.next()
    indexer.update_index(os.path.realpath(live.link), folder, upsert, deleted, dataset_version=version)
    live.publish(folder)


def test_an_incremental_update_equals_a_full_rebuild(two):
    prepared, full, inc = two
    first = inc.next()
    indexer.write_index(first, prepared)
    inc.publish(first)
    holder = IndexHolder(inc.link)
    assert search(holder, "").total == len(prepared.studies)

    studies = [dict(s) for s in prepared.studies]
    deleted = studies.pop(0)["id"]
    studies[0]["title"] = "Zanzibarian fishermen and their recidivism"
    studies[1]["year"] = 1987
    changed = [studies[0]["id"], studies[1]["id"]]
    after = dataclasses.replace(prepared, studies=studies, dataset_version="after")
    upsert = [d for d in documents(after) if d["id"] in changed]

    update(inc, upsert, [deleted], "after")
    rebuilt = full.next()
    indexer.write_index(rebuilt, after)
    fresh = IndexHolder(rebuilt)
    for q, filters, sort in QUERIES:
        assert answer(holder, q, filters, sort) == answer(fresh, q, filters, sort), (q, filters, sort)
    assert search(holder, "zanzibarian").total == 1
    assert search(holder, "").dataset_version == "after"
    assert deleted not in {h.id for h in search(holder, "", per_page=100).hits}

    # a second update on top of the first; the saved sort keys are those of the stored cards
    update(inc, [], [changed[1]])
    current = holder.current()
    cards = {d: current.files.card(d) for d in np.flatnonzero(current.files.live).tolist()}
    files = current.files
    keys = files.keys
    assert len(cards) == current.doc_count and not files.live[files.hidden].any()
    for key, card_key in (("year", "year"), ("strength", "strength"), ("level", "evidence_level")):
        assert cols_of(keys, key, cards) == [-1 if c[card_key] is None else c[card_key] for c in cards.values()], key
    assert [cards[d]["id"] for d in np.argsort(files.id_rank) if d in cards] == sorted(c["id"] for c in cards.values())
    assert search(holder, "").total == len(prepared.studies) - 2 == current.doc_count


@pytest.mark.parametrize("bound", [1000, 0])  # a delta beside the base; folded into a new base at once
def test_edits_additions_and_deletions_answer_as_a_full_rebuild(two, monkeypatch, bound):
    """Several updates in a row (a delta written, rewritten, then folded when it passes the bound) give
    the hits, in the same order with the same scores and facets, of a full build."""
    monkeypatch.setattr(indexer, "DELTA_BOUND", bound)
    monkeypatch.setattr(indexer, "DELTA_SHARE", 0)
    prepared, full, inc = two
    first = inc.next()
    indexer.write_index(first, prepared)
    inc.publish(first)
    holder = IndexHolder(inc.link)
    studies = [dict(s) for s in prepared.studies]
    rng = random.Random(5)
    words = [w for w in ("recidivism employment housing youth offenders treatment school therapy cognitive "
                         "family parents zanzibarian fishermen tilbagefald unge beskæftigelse").split()]
    shapes = [(shape(rng.sample(words, 3)), {}, "relevance") for shape in SHAPES for _ in range(3)]
    rounds = [
        ({0: {"title": "Zanzibarian fishermen and their recidivism"}, 3: {"year": 1987}}, [5, 6], 1),
        ({0: {"title": "Zanzibarian fishermen again"}, 7: {"abstract": "employment employment"}}, [9], 2),
        ({}, [0, 1, 2], 1),
    ]
    for n, (edits, deleted_at, added) in enumerate(rounds):
        changed = {studies[i]["id"] for i in edits}
        for i, fields in edits.items():
            studies[i].update(fields)
        for k in range(added):  # a new study: a copy of another under a new id and title
            studies.append(dict(studies[-1 - k], id=f"new-{n}-{k}", title=f"Zanzibarian study {n} {k}"))
            changed.add(studies[-1]["id"])
        deleted = [studies[i]["id"] for i in deleted_at]
        studies = [s for s in studies if s["id"] not in deleted]
        after = dataclasses.replace(prepared, studies=studies, dataset_version=f"after-{n}")
        update(inc, [d for d in documents(after) if d["id"] in changed], deleted, f"after-{n}")
        rebuilt = full.next()
        indexer.write_index(rebuilt, after)
        fresh = IndexHolder(rebuilt)
        for q, filters, sort in QUERIES + [("zanzibarian", {}, "relevance"), ("zanzibarian fishermen", {}, "year"),
                                           ('"zanzibarian fishermen"', {}, "relevance"), ("recid*", {}, "relevance"),
                                           ("year:[1980 TO 2005] NOT employment", {}, "relevance"),
                                           ("zanzibarien", {}, "relevance"), ("title:*", {}, "year")] + shapes:
            got, want = search(holder, q, filters, sort, per_page=100), search(fresh, q, filters, sort, per_page=100)
            assert answer(holder, q, filters, sort) == answer(fresh, q, filters, sort), (n, q, filters, sort)
            assert [h.id for h in got.hits] == [h.id for h in want.hits]
            if n < 2:  # (the spellings list only grows: a word whose last study went is still suggested)
                assert [s.q for s in got.suggestions] == [s.q for s in want.suggestions], (n, q)
        has_delta = (inc.link / "delta").is_dir()
        assert has_delta == (bound > 0), n


def test_the_update_leaves_the_live_index_untouched(two, tmp_path):
    prepared, _full, inc = two
    live = inc.next()
    indexer.write_index(live, prepared)
    listing = {p: p.stat().st_size for p in live.rglob("*")}
    total = search(live, "").total
    indexer.update_index(live, tmp_path / "aside", [], [prepared.studies[0]["id"]])
    assert {p: p.stat().st_size for p in live.rglob("*")} == listing
    assert search(live, "").total == total and search(tmp_path / "aside", "").total == total - 1


def test_a_failed_update_leaves_nothing(two, tmp_path):
    prepared, _full, inc = two
    live = inc.next()
    indexer.write_index(live, prepared)
    with pytest.raises(KeyError):
        indexer.update_index(live, tmp_path / "aside", [{"id": "broken"}], [])
    assert not (tmp_path / "aside").exists()
