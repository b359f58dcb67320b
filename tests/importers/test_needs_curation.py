"""Terms added by --add-terms are listed by `evidence validate` (warning) and fail `--strict`."""

from __future__ import annotations

from click.testing import CliRunner
from import_helpers import run_import

from evidence.cli import main


def _validate(data_dir, *args):
    return CliRunner().invoke(main, ["validate", *args], env={"EVIDENCE_DATA_DIR": str(data_dir)},
                              catch_exceptions=False)


def _curate_all(data_dir):
    for path in (data_dir / "vocabularies").glob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("  needs_curation: true\n", ""), encoding="utf-8")


def test_validate_lists_uncurated_terms_and_strict_fails(small_data_dir, tmp_path):
    _curate_all(small_data_dir)  # the repository's own vocabulary may hold terms under review
    assert _validate(small_data_dir, "--strict").exit_code == 0
    csv = tmp_path / "n.csv"
    csv.write_text("study,ai,bi,ci,di\nNewman (2011),10,19,23,29\n", encoding="utf-8")
    result = run_import(small_data_dir, "csv", csv, "--intervention", "peer-mentoring", "--target-group",
                        "offenders", "--outcome", "recidivism", "--source", "A review (2020)", "--add-terms")
    assert result.exit_code == 0, result.output

    result = _validate(small_data_dir)
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "interventions.yaml:" in result.output
    assert "term 'peer-mentoring' needs curation" in result.output
    assert "1 term(s) need curation" in result.output

    result = _validate(small_data_dir, "--strict")
    assert result.exit_code == 1, result.output
    assert "term 'peer-mentoring' needs curation" in result.output and "1 problem(s) found" in result.output

    text = (small_data_dir / "vocabularies" / "interventions.yaml").read_text(encoding="utf-8")
    assert text.count("needs_curation: true") == 1
    _curate_all(small_data_dir)
    assert _validate(small_data_dir, "--strict").exit_code == 0
