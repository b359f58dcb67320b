"""Validating over worker processes gives exactly what validating in one process gives, problems included."""

from __future__ import annotations

import pytest

from evidence.records.validate import load_corpus


def test_parallel_validation_is_identical(data_dir):
    studies = data_dir / "studies"
    (studies / "guerra-1990.yaml").write_text((studies / "guerra-1990.yaml").read_text().replace("ai: 10", "ai: -10"))
    (studies / "copy-of-guerra.yaml").write_text((studies / "guerra-1990.yaml").read_text())
    (studies / "broken.yaml").write_text("effects: [\n")
    serial = load_corpus(data_dir, workers=1)
    parallel = load_corpus(data_dir, workers=2, min_files=0)
    assert len(serial.problems) >= 3
    assert parallel.problems == serial.problems
    assert [(r.path, r.data) for r in parallel.studies] == [(r.path, r.data) for r in serial.studies]


def test_each_record_is_handed_over_in_order_as_it_is_validated(data_dir):
    (data_dir / "studies" / "broken.yaml").write_text("effects: [\n")
    for workers in (1, 2):
        seen: list = []
        corpus = load_corpus(data_dir, workers=workers, min_files=0,
                             each=lambda record, vocabulary, seen=seen: seen.append((record.path, vocabulary)))
        assert [path for path, _ in seen] == [r.path for r in corpus.studies]
        assert len(seen) > 1 and all(v is corpus.vocabulary for _, v in seen)


def test_a_failing_callback_stops_the_validation(data_dir):
    def fail(record, vocabulary):
        raise RuntimeError(f"stop at {record.path.name}")

    for workers in (1, 2):
        with pytest.raises(RuntimeError, match="^stop at "):
            load_corpus(data_dir, workers=workers, min_files=0, each=fail)
