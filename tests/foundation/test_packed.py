"""Pooled results held pickled read back exactly as pooled: same values, same types, fresh each read."""

from __future__ import annotations

import math

import pytest

from evidence.services.packed import PackedResults, pack
from evidence.stats import units


def _results():
    converted = units.Converted(0.25, "exp(log-scale value)")
    return [{"id": "a", "estimate": 0.1, "rows": [{"yi": -0.0, "vi": math.inf}], "natural": converted,
             "studies": ["s1"], "strength": 2},
            {"id": "b", "estimate": None, "notes": ["x"], "studies": ["s1", "s2"], "strength": 0},
            {"id": "c", "estimate": 3, "sensitivity": {"rho": []}, "studies": [], "strength": 4}]


def test_packed_results_read_back_as_pooled():
    results = _results()
    packed = PackedResults(pack(r) for r in results)
    assert len(packed) == 3
    assert list(packed) == results and packed == results
    assert packed[1] == results[1] and packed[-1] == results[-1]
    assert packed[1:] == results[1:] and packed[:0] == []
    natural = packed[0]["natural"]
    assert type(natural) is units.Converted and natural.conversion == "exp(log-scale value)"
    assert math.copysign(1, packed[0]["rows"][0]["yi"]) == -1  # -0.0 stays -0.0
    assert type(packed[2]["estimate"]) is int
    with pytest.raises(IndexError):
        packed[3]
    assert packed.summaries() == [{"id": r["id"], "studies": r["studies"], "strength": r["strength"]}
                                  for r in results]


def test_each_read_is_a_fresh_copy():
    packed = PackedResults([pack(_results()[0])])
    packed[0]["estimate"] = 99.0
    assert packed[0]["estimate"] == 0.1
