"""Pooling over worker processes gives exactly what pooling in one process gives, in the same order."""

from __future__ import annotations

import json

from evidence.prepared import Prepared, add_study
from evidence.records.validate import load_corpus
from evidence.services import pooling


def test_parallel_pooling_is_identical_and_in_order(data_dir):
    corpus = load_corpus(data_dir)
    assert not corpus.problems
    prepared, candidates, problems = Prepared(corpus, ""), [], []
    for record in corpus.studies:
        add_study(record, data_dir, corpus.vocabulary, prepared, candidates, problems)
    groups = pooling.group(candidates, corpus.vocabulary)
    serial = [pooling.pool(g, corpus.vocabulary) for g in groups]
    parallel = pooling.pool_all(groups, corpus.vocabulary, workers=2, min_work=0)
    assert json.dumps(list(parallel), sort_keys=True) == json.dumps(serial, sort_keys=True)
    assert ([{k: type(v) for k, v in p.items()} for p in parallel]
            == [{k: type(v) for k, v in p.items()} for p in serial])
    assert [p["id"] for p in parallel] == [g.key.id for g in groups]
