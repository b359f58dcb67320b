"""An import's cost grows with the file, not with its square; files above the size limit are refused."""

from __future__ import annotations

import time

from import_helpers import run_import

from benchmarks.importscale import synthetic_csv as benchmark_csv


def synthetic_csv(path, rows: int):
    """The benchmark's SYNTHETIC rows (random counts, invented names), seeded by their number: timing only."""
    return benchmark_csv(path, rows, seed=rows)


def _cpu(data_dir, path) -> float:
    started = time.process_time()
    result = run_import(data_dir, "csv", path, "--source", "SYNTHETIC timing data", "--dry-run")
    assert result.exit_code == 0, result.output
    return time.process_time() - started


def test_a_dry_run_is_linear_in_the_rows(small_data_dir, tmp_path):
    _cpu(small_data_dir, synthetic_csv(tmp_path / "warm.csv", 50))  # imports and caches warmed
    small = _cpu(small_data_dir, synthetic_csv(tmp_path / "small.csv", 400))
    large = _cpu(small_data_dir, synthetic_csv(tmp_path / "large.csv", 1600))
    # four times the rows: about four times the work (sixteen if each row were compared with every other)
    assert large < 7 * small + 0.5, (small, large)


def test_a_file_over_the_limit_is_refused_with_the_limit(small_data_dir, tmp_path, monkeypatch):
    path = synthetic_csv(tmp_path / "big.csv", 2000)
    monkeypatch.setenv("EVIDENCE_IMPORT_MAX_MB", "0.05")
    result = run_import(small_data_dir, "csv", path, "--source", "SYNTHETIC timing data", "--dry-run")
    assert result.exit_code == 1
    assert "big.csv" in result.output and "at most 0.05 MB" in result.output
    assert "EVIDENCE_IMPORT_MAX_MB" in result.output and "Traceback" not in result.output
