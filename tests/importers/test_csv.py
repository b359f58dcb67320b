"""`evidence import csv` with real-world-shaped spreadsheets: what works, and what is refused.

Every bad case must give a clear, located error (file:row N: column: message) and leave the
data folder byte-for-byte as it was.
"""

from __future__ import annotations

import pytest
from import_helpers import run_import, tree_hash

from evidence.records.validate import load_corpus
from evidence.records.yamlio import load

WTL = ["--intervention", "writing-to-learn", "--target-group", "school-students", "--outcome",
       "academic-achievement", "--comparison", "usual-practice", "--source", "Bangert-Drowns et al. (2004)"]
CBT = ["--intervention", "cbt-offenders", "--target-group", "offenders", "--outcome", "recidivism",
       "--source", "Landenberger & Lipsey (2005)"]


def _write(tmp_path, text: str | bytes, name: str = "extraction.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _refused(data_dir, path, *options) -> str:
    """Run an import that must fail; check that nothing changed; return what it printed."""
    before = tree_hash(data_dir)
    result = run_import(data_dir, "csv", path, *options)
    assert result.exit_code == 1, result.output
    assert "nothing was written" in result.output
    assert tree_hash(data_dir) == before
    return result.output


def _study(data_dir, sid: str) -> dict:
    return load(data_dir / "studies" / f"{sid}.yaml").data


# -- what works --------------------------------------------------------------------------------

def test_danish_excel_semicolons_decimal_commas_bom_and_blank_rows(empty_data_dir, tmp_path):
    text = ("\ufeffStudy;yi;vi;Grade\r\n"
            "Ashworth (1992);0,65;0,07;4\r\n"
            ";;;\r\n"
            "\r\n"
            "Ayers (1993);−0,75;0,126;2\r\n")
    path = _write(tmp_path, text.encode("utf-8"))
    result = run_import(empty_data_dir, "csv", path, *WTL)
    assert result.exit_code == 0, result.output
    ashworth = _study(empty_data_dir, "ashworth-1992")
    assert ashworth["effects"][0]["data"] == {"yi": 0.65, "vi": 0.07}
    assert ashworth["effects"][0]["measure"] == "SMD"  # the outcome's default
    assert ashworth["provenance"]["descriptors"] == {"Grade": 4}
    assert ashworth["provenance"]["location"] == "extraction.csv, row 2"
    assert ashworth["provenance"]["extraction"] == "secondary"
    assert ashworth["provenance"]["history"][0]["by"] == "tester"
    assert ashworth["provenance"]["history"][0]["change"] == "Imported from extraction.csv"
    assert ashworth["design"]["type"] == "controlled-study"
    ayers = _study(empty_data_dir, "ayers-1993")
    assert ayers["effects"][0]["data"] == {"yi": -0.75, "vi": 0.126}
    assert ayers["provenance"]["location"] == "extraction.csv, row 5"  # blank rows still count as rows
    assert load_corpus(empty_data_dir).problems == []


def test_two_by_two_and_events_of_n_and_per_row_columns(empty_data_dir, tmp_path):
    text = ("study,ai,bi,ci,di,n1i,n2i,design,country,timepoint_months,doi,setting\n"
            "Guerra (1990),10,19,23,29,,,rct,USA,12,https://doi.org/10.1037/0012-1649.26.2.269,prison\n"
            "Leeman (1993),3,,15,,20,37,nonequiv,USA,12,,prison\n")
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT, "--measure", "or")
    assert result.exit_code == 0, result.output
    guerra = _study(empty_data_dir, "guerra-1990")
    assert guerra["citation"] == {"authors": ["Guerra"], "year": 1990, "doi": "10.1037/0012-1649.26.2.269"}
    assert guerra["design"] == {"type": "rct", "country": "USA"}
    effect = guerra["effects"][0]
    assert (effect["form"], effect["measure"], effect["followup_months"]) == ("counts", "OR", 12)
    assert effect["data"] == {"ai": 10, "bi": 19, "ci": 23, "di": 29}
    assert guerra["provenance"]["descriptors"] == {"design": "rct", "setting": "prison"}
    leeman = _study(empty_data_dir, "leeman-1993")
    assert leeman["design"]["type"] == "quasi-experimental"
    assert leeman["effects"][0]["data"] == {"ai": 3, "ci": 15, "n1i": 20, "n2i": 37}


def test_rows_of_one_study_become_effects_of_one_record(empty_data_dir, tmp_path):
    text = ("author,year,m1i,sd1i,n1i,m2i,sd2i,n2i,yi,vi,outcome,sex\n"
            "Nguyen & Hald,2019,55,47,155,75,64,156,,,length-of-stay,m\n"
            "Nguyen & Hald,2019,27,7,31,29,4,32,,,length-of-stay,f\n")
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), "--intervention", "specialist-stroke-care",
                        "--target-group", "stroke-patients", "--source", "A review")
    assert result.exit_code == 0, result.output
    record = _study(empty_data_dir, "nguyen-2019")
    assert record["citation"]["authors"] == ["Nguyen", "Hald"]
    assert [e["id"] for e in record["effects"]] == ["length-of-stay", "length-of-stay-b"]
    assert [e["sample"] for e in record["effects"]] == ["sample-1", "sample-2"]
    assert [e["location"] for e in record["effects"]] == ["extraction.csv, row 2", "extraction.csv, row 3"]
    assert record["provenance"]["descriptors"] == {"sex": ["m", "f"]}  # one value per effect
    assert load_corpus(empty_data_dir).problems == []


def test_dry_run_writes_nothing_and_a_second_import_changes_nothing(empty_data_dir, tmp_path):
    path = _write(tmp_path, "study,yi,sei\nAshworth (1992),0.65,0.26\n")
    before = tree_hash(empty_data_dir)
    result = run_import(empty_data_dir, "csv", path, *WTL, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "new" in result.output and "ashworth-1992.yaml" in result.output
    assert "Dry run: nothing was written" in result.output
    assert tree_hash(empty_data_dir) == before

    assert run_import(empty_data_dir, "csv", path, *WTL).exit_code == 0
    after_first = tree_hash(empty_data_dir)
    assert after_first != before
    result = run_import(empty_data_dir, "csv", path, *WTL)
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output and "0 new, 0 changed, 1 unchanged" in result.output
    assert tree_hash(empty_data_dir) == after_first


def test_add_terms_adds_flagged_terms_with_the_records(empty_data_dir, tmp_path):
    vocab = empty_data_dir / "vocabularies" / "interventions.yaml"
    old = vocab.read_text(encoding="utf-8")
    path = _write(tmp_path, "study,yi,vi,intervention\nAshworth (1992),0.65,0.07,journal-writing\n")
    options = [o for o in WTL]
    output = _refused(empty_data_dir, path, *options)
    assert "row 2: intervention: unknown intervention 'journal-writing'" in output

    result = run_import(empty_data_dir, "csv", path, *options, "--add-terms")
    assert result.exit_code == 0, result.output
    new = vocab.read_text(encoding="utf-8")
    assert new.startswith(old)  # the existing terms stay exactly as they were
    corpus = load_corpus(empty_data_dir)
    assert corpus.problems == []
    term = corpus.vocabulary.get("interventions", "journal-writing")
    assert (term.label_en, term.label_da, term.needs_curation) == ("Journal writing", "Journal writing", True)


def test_a_typo_in_an_option_gets_a_suggestion_once(empty_data_dir, tmp_path):
    path = _write(tmp_path, "study,yi,vi\nA (1992),0.65,0.07\nB (1993),0.6,0.07\n")
    options = ["--intervention", "cbt-ofenders", *CBT[2:]]
    output = _refused(empty_data_dir, path, *options)
    line = "extraction.csv: --intervention: unknown intervention 'cbt-ofenders'; did you mean 'cbt-offenders'?"
    assert output.count(line) == 1, output


# -- what is refused, with the data folder untouched --------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("study,ai,bi,ci,di\nGuerra (1990),ten,19,23,29\n", "extraction.csv:row 2: ai: 'ten' is not a number"),
    ("study,ai,n1i,ci,n2i\nGuerra (1990),12,10,23,52\n",
     "extraction.csv:row 2: ai: 12 events is more than the group size n1i = 10"),
    ("study,ai,bi,ci,di\nGuerra (1990),10.5,19,23,29\n",
     "extraction.csv:row 2: ai: '10.5' is not a whole number"),
    ("study,ai,bi,ci,di\nGuerra (1990),-1,19,23,29\n", "extraction.csv:row 2: ai: -1 is negative"),
    ("study,ai,bi,ci,di\n\nGuerra (1990),10,19,23\n",
     "extraction.csv:row 3: bi: give bi and di (non-events), or n1i and n2i (group sizes)"),
    ("study,ai,bi,ci,di,yi,vi\nGuerra (1990),10,19,23,29,0.3,0.1\n",
     "extraction.csv:row 2: yi: figures for more than one kind of estimate"),
    ("study,ai,bi,ci,di\nGuerra (1990),10,19,23,29\nGuerra (1990),10,19,23,29\n",
     "extraction.csv:row 3: repeats row 2"),
    ("study,ai,bi,ci,di,design\nGuerra (1990),10,19,23,29,cohort\n",
     "extraction.csv:row 2: design: 'cohort' is not a design"),
    ("study,ai,bi,ci,di,measure\nGuerra (1990),10,19,23,29,SMD\n",
     "extraction.csv:row 2: measure: measure SMD does not fit form 'counts'"),
    ("study,ai,bi,ci,di\nGuerra (1990),\"10,5\",19,23,29\n",
     "extraction.csv:row 2: ai: '10,5' has a comma"),
    ("study,ai,bi,ci,di\n1,10,19,23,29\n", "extraction.csv:row 2: study: '1' is a number, not a study"),
    ("author,ai,bi,ci,di\nGuerra,10,19,23,29\n", "extraction.csv:row 1: year: name the study"),
    ("author,year,ai,bi,ci,di\nGuerra,199O,10,19,23,29\n", "extraction.csv:row 2: year: '199O' is not a year"),
    ("study,ai,bi,ci,di\nGuerra (2999),10,19,23,29\n",
     "extraction.csv:row 2: study: 2999 is not a year between 1900 and"),
    ("study,ai,bi,ci,di,ai\nGuerra (1990),10,19,23,29,1\n", "extraction.csv:row 1: ai: column 6 repeats"),
    ("study,ai,bi,ci,di\nGuerra (1990),10,19,23,29,5\n", "extraction.csv:row 2: 6 cells but the header names 5"),
    ("study,ai,bi,ci,di\n\"Guerra (1990),10,19,23,29\n", "extraction.csv:row 2: cannot read the CSV"),
    ("study,ai,bi,ci,di\n", "extraction.csv: the file has a header but no rows"),
    ("", "extraction.csv: the file is empty"),
    ("study\tai\tbi\nGuerra (1990)\t1\t2\n", "extraction.csv:row 1: the file is tab-separated"),
    ("study,m1i,sd1i,n1i,m2i,sd2i,n2i,outcome\nGuerra (1990),5,0,10,6,1,10,length-of-stay\n",
     "extraction.csv:row 2: sd1i: a standard deviation must be greater than 0"),
    ("study,m1i,sd1i,n1i,m2i,sd2i,n2i\nGuerra (1990),5,1,10,6,1,10\n",
     "extraction.csv:row 2: --outcome: the figures (m1i sd1i n1i m2i sd2i n2i) are means, but outcome"
     " 'recidivism' is binary (measured as OR): means need a continuous outcome; is the outcome right?"),
    ("study,m1i,sd1i,n1i,m2i,sd2i,n2i,measure\nGuerra (1990),5,1,10,6,1,10,MD\n",
     "extraction.csv:row 2: m1i sd1i n1i m2i sd2i n2i: means need a continuous outcome; 'recidivism' is binary"),
])
def test_bad_rows_are_located_and_nothing_is_written(small_data_dir, tmp_path, text, expected):
    output = _refused(small_data_dir, _write(tmp_path, text), *CBT)
    assert expected in output, output


def test_one_bad_row_among_good_ones_writes_nothing(data_dir, tmp_path):
    text = ("study,ai,bi,ci,di\n"
            "Nielsen (2015),10,19,23,29\n"
            "Hansen (2016),3,17,15,22\n"
            "Jensen (2017),3,17,fifteen,22\n")
    output = _refused(data_dir, _write(tmp_path, text), *CBT)
    assert "extraction.csv:row 4: ci: 'fifteen' is not a number" in output
    assert "1 problem(s); nothing was written." in output


def test_latin1_file_is_refused_with_how_to_resave(data_dir, tmp_path):
    text = "study,ai,bi,ci,di\nMøller (2001),10,19,23,29\n"
    output = _refused(data_dir, _write(tmp_path, text.encode("latin-1")), *CBT)
    assert "extraction.csv:line 2: the file is not UTF-8 text: byte 0xF8" in output
    assert "'Møller (2001),10,19,23,29'" in output  # what the line says, read as Latin-1
    assert "CSV UTF-8" in output


def test_utf16_file_is_refused(small_data_dir, tmp_path):
    text = "study,ai,bi,ci,di\nMøller (2001),10,19,23,29\n"
    output = _refused(small_data_dir, _write(tmp_path, text.encode("utf-16")), *CBT)
    assert "UTF-16" in output and "CSV UTF-8" in output


def test_source_is_required_and_the_rows_are_still_checked(small_data_dir, tmp_path):
    path = _write(tmp_path, "study,ai,bi,ci,di\nGuerra (1990),10,19,23,29\nLeeman (1993),3,17,x,22\n")
    output = _refused(small_data_dir, path, *CBT[:-2])
    assert "extraction.csv: --source: say where the numbers come from" in output
    assert "extraction.csv:row 3: ci: 'x' is not a number" in output
    assert "2 problem(s); nothing was written." in output


def test_missing_file(small_data_dir, tmp_path):
    output = _refused(small_data_dir, tmp_path / "nowhere.csv", *CBT)
    assert "nowhere.csv: no such file" in output


def test_a_broken_data_folder_is_not_imported_into(data_dir, tmp_path):
    (data_dir / "studies" / "guerra-1990.yaml").write_text("id: guerra-1990\ncitation: [\n", encoding="utf-8")
    path = _write(tmp_path, "study,ai,bi,ci,di\nNielsen (2015),10,19,23,29\n")
    output = _refused(data_dir, path, *CBT)
    assert "guerra-1990.yaml:" in output and "fix them first" in output


def test_outcomes_are_never_added_by_add_terms(empty_data_dir, tmp_path):
    path = _write(tmp_path, "study,ai,bi,ci,di\nNielsen (2015),10,19,23,29\n")
    options = ["--intervention", "cbt-offenders", "--target-group", "offenders", "--outcome", "school-dropout",
               "--measure", "OR", "--source", "x"]
    output = _refused(empty_data_dir, path, *options, "--add-terms")
    assert "unknown outcome 'school-dropout': --add-terms cannot add an outcome" in output


def test_a_corrected_figure_is_a_conflict_kept_unless_force(empty_data_dir, tmp_path):
    first = _write(tmp_path, "study,ai,bi,ci,di,design\nGuerra (1990),10,19,23,29,rct\n")
    assert run_import(empty_data_dir, "csv", first, *CBT).exit_code == 0
    corrected = _write(tmp_path, "study,ai,bi,ci,di,design\nGuerra (1990),11,19,23,29,rct\n", "corrected.csv")
    before = tree_hash(empty_data_dir)
    result = run_import(empty_data_dir, "csv", corrected, *CBT)
    assert result.exit_code == 0, result.output
    assert ("guerra-1990.yaml: effects.recidivism.data: the record has {ai: 10, bi: 19, ci: 23, di: 29},"
            " the import file {ai: 11, bi: 19, ci: 23, di: 29} (kept the record)") in result.output
    assert "0 new, 0 changed, 1 unchanged" in result.output
    assert tree_hash(empty_data_dir) == before

    result = run_import(empty_data_dir, "csv", corrected, *CBT, "--force", "--by", "A. Curator")
    assert result.exit_code == 0, result.output
    assert "0 new, 1 changed" in result.output
    record = _study(empty_data_dir, "guerra-1990")
    assert record["effects"][0]["data"]["ai"] == 11
    assert len(record["effects"]) == 1  # replaced, not duplicated
    assert record["provenance"]["history"][-1]["by"] == "A. Curator"
    assert record["provenance"]["history"][-1]["change"] == "Imported from corrected.csv: effects.recidivism.data"


def test_rows_of_one_study_with_different_designs_are_separate_studies(empty_data_dir, tmp_path):
    text = ("study,ai,bi,ci,di,design\n"
            "Goldstein (1989),5,28,14,18,rct\n"
            "Goldstein (1989),5,33,14,13,nonequiv\n")
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT)
    assert result.exit_code == 0, result.output
    assert ("rows 2 and 3 name the same study 'Goldstein (1989)' but differ in design (rct, quasi-experimental):"
            " imported as 2 studies, one record each") in result.output
    assert _study(empty_data_dir, "goldstein-1989")["design"]["type"] == "rct"
    assert _study(empty_data_dir, "goldstein-1989-b")["design"]["type"] == "quasi-experimental"
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT)
    assert "0 new, 0 changed, 2 unchanged" in result.output


# -- study labels that hold digits but no year (real-data finding, issue 12) ----------------------

def test_registry_ids_and_numbered_studies_are_labels_not_years(empty_data_dir, tmp_path):
    text = ("study,yi,vi\n"
            "NCT00534404,0.2,0.04\n"
            "Study 123459,0.1,0.05\n"
            "Trial 1850,0.3,0.06\n"
            "Guerra (1990),0.4,0.07\n"
            "Halperin 2000,0.5,0.08\n")
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT)
    assert result.exit_code == 0, result.output
    citations = {s.data["id"]: s.data["citation"] for s in load_corpus(empty_data_dir).studies}
    by_label = {c.get("label"): c for c in citations.values() if c.get("label")}
    assert set(by_label) == {"NCT00534404", "Study 123459", "Trial 1850"}
    assert all(c.get("year") is None and not c.get("authors") for c in by_label.values())
    years = sorted((c["authors"], c["year"]) for c in citations.values() if c.get("authors"))
    assert years == [(["Guerra"], 1990), (["Halperin"], 2000)]


def test_the_year_column_gives_the_year_whatever_the_study_label_holds(empty_data_dir, tmp_path):
    text = "study,author,year,yi,vi\nNCT00534404,Smith,2012,0.2,0.04\n"
    result = run_import(empty_data_dir, "csv", _write(tmp_path, text), *CBT)
    assert result.exit_code == 0, result.output
    (study,) = load_corpus(empty_data_dir).studies
    assert (study.data["citation"]["authors"], study.data["citation"]["year"]) == (["Smith"], 2012)
