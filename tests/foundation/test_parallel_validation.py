"""Validating over worker processes gives exactly what validating in one process gives, problems included."""

from __future__ import annotations

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
