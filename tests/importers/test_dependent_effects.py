"""`esid`: several effect sizes of one study are imported as dependent estimates, never as duplicates."""

from __future__ import annotations

from import_helpers import run_import, tree_hash

from evidence.records.validate import load_corpus
from evidence.records.yamlio import load

CBT = ["--intervention", "cbt-offenders", "--target-group", "offenders", "--outcome", "recidivism",
       "--source", "Test extraction"]


def _write(tmp_path, text: str):
    path = tmp_path / "extraction.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _effects(data_dir, sid: str) -> list[dict]:
    return load(data_dir / "studies" / f"{sid}.yaml").data["effects"]


def test_rows_with_different_esid_are_dependent_effects_even_with_equal_figures(empty_data_dir, tmp_path):
    text = ("study,esid,ai,bi,ci,di\n"
            "Guerra (1990),12,10,19,23,29\n"
            "Guerra (1990),13,10,19,23,29\n"
            "Guerra (1990),post-test,8,21,20,32\n")
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT)
    assert result.exit_code == 0, result.output
    effects = _effects(empty_data_dir, "guerra-1990")
    assert [e["id"] for e in effects] == ["es-12", "es-13", "post-test"]
    assert {e.get("sample", "main") for e in effects} == {"main"}  # one sample: dependent, not independent
    assert effects[0]["location"] == "extraction.csv, row 2 (esid 12)"
    assert load_corpus(empty_data_dir).ok


def test_es_id_is_read_as_esid(empty_data_dir, tmp_path):
    text = "study,ES_ID,ai,bi,ci,di\nGuerra (1990),a,10,19,23,29\nGuerra (1990),b,9,20,23,29\n"
    assert run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT).exit_code == 0
    assert [e["id"] for e in _effects(empty_data_dir, "guerra-1990")] == ["a", "b"]


def test_the_same_esid_twice_in_a_study_is_a_duplicate(empty_data_dir, tmp_path):
    text = "study,esid,ai,bi,ci,di\nGuerra (1990),7,10,19,23,29\nGuerra (1990),7,8,21,20,32\n"
    before = tree_hash(empty_data_dir)
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT)
    assert result.exit_code == 1
    assert "extraction.csv:row 3: esid: repeats effect-size id '7' of row 2 in the same study" in result.output
    assert tree_hash(empty_data_dir) == before


def test_the_same_esid_in_two_studies_is_fine(empty_data_dir, tmp_path):
    text = "study,esid,ai,bi,ci,di\nGuerra (1990),1,10,19,23,29\nRoss (1988),1,8,21,20,32\n"
    assert run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT).exit_code == 0


def test_without_esid_repeated_rows_are_still_refused_and_others_are_independent_samples(empty_data_dir, tmp_path):
    same = "study,ai,bi,ci,di\nGuerra (1990),10,19,23,29\nGuerra (1990),10,19,23,29\n"
    result = run_import(empty_data_dir, "csv", _write(tmp_path, same), *CBT)
    assert result.exit_code == 1 and "repeats row 2" in result.output and "'esid'" in result.output
    different = "study,ai,bi,ci,di\nGuerra (1990),10,19,23,29\nGuerra (1990),8,21,20,32\n"
    assert run_import(empty_data_dir, "csv", _write(tmp_path, different), *CBT).exit_code == 0
    assert [e["sample"] for e in _effects(empty_data_dir, "guerra-1990")] == ["sample-1", "sample-2"]
