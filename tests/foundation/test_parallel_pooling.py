"""Pooling over worker processes gives exactly what pooling in one process gives, in the same order."""

from __future__ import annotations

import json

from evidence.prepared import Prepared, add_study
from evidence.records.validate import load_corpus
from evidence.services import pooling
from evidence.services.groups import group
from evidence.services.packed import ROW_COLUMNS


def test_parallel_pooling_is_identical_and_in_order(data_dir):
    corpus = load_corpus(data_dir)
    assert not corpus.problems
    prepared, candidates, problems = Prepared(corpus, ""), [], []
    for record in corpus.studies:
        add_study(record, data_dir, corpus.vocabulary, prepared, candidates, problems)
    groups = group(candidates, corpus.vocabulary)
    serial = [pooling.pool(g, corpus.vocabulary) for g in groups]
    parallel = pooling.pool_all(groups, corpus.vocabulary, workers=2, min_work=0)
    rows = parallel.rows(0, len(parallel))
    # the database's rows: each result's JSON text as pooling in this process encodes it, the columns' values
    # and types as it computes them (floats that remember their conversion cross processes whole)
    assert [r["result"] for r in rows] == [json.dumps(p) for p in serial]
    assert ([{k: (v, type(v)) for k, v in r.items() if k != "result"} for r in rows]
            == [{k: (p[k], type(p[k])) for k in ROW_COLUMNS} for p in serial])
    assert rows == pooling.pool_all(groups, corpus.vocabulary, workers=1).rows(0, len(groups))
    assert list(parallel) == json.loads(json.dumps(serial))
    assert [p["id"] for p in parallel] == [g.key.id for g in groups]
