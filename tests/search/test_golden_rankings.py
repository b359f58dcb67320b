"""Search answers equal the golden rankings saved before the index changed hands (see golden_rankings.py).

Same studies, same order, same totals, messages, suggestions and facet counts; scores (BM25F) equal
to a relative 1e-9.
"""

from __future__ import annotations

import json

import pytest

from evidence.search.reader import IndexHolder

from golden_rankings import GOLDEN, answer, build_index, corpus_dir

REL = 1e-9


@pytest.fixture(scope="module", params=["records", "synthetic-1k"])
def golden(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    holder = IndexHolder(build_index(corpus_dir(request.param, tmp), tmp))
    expected = json.loads((GOLDEN / f"{request.param}.json").read_text(encoding="utf-8"))
    return holder, expected["queries"]


def test_search_answers_equal_the_golden_rankings(golden):
    holder, queries = golden
    assert len(queries) > 200
    for spec in queries:
        want = spec["answer"]
        got = answer(holder, spec["q"], spec.get("filters"), spec.get("sort", "relevance"), spec.get("facets", False))
        where = (spec["q"], spec.get("filters"), spec.get("sort"))
        assert got["total"] == want["total"], where
        assert [h[0] for h in got["hits"]] == [h[0] for h in want["hits"]], where
        for (_, g), (_, w) in zip(got["hits"], want["hits"]):
            assert g == pytest.approx(w, rel=REL, abs=1e-12), where
        for key in ("messages", "suggestions", "interpretation", "facets"):
            assert got.get(key) == want.get(key), (where, key)
