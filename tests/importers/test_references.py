"""`evidence import bibtex` and `evidence import ris`: real-world-shaped exports enrich the studies
they match (by DOI, or by title and year), never duplicate them, and refuse broken files with
located errors, leaving the data folder untouched."""

from __future__ import annotations

import pytest
from import_helpers import run_import, tree_hash

from evidence.records.validate import load_corpus
from evidence.records.yamlio import load

CBT = ["--intervention", "cbt-offenders", "--target-group", "offenders", "--outcome", "recidivism",
       "--comparison", "control", "--source", "Landenberger & Lipsey (2005)"]

# Zotero's BibTeX export of Guerra & Slaby (1990).
ZOTERO = r"""
@article{guerra_cognitive_1990,
	title = {Cognitive mediators of aggression in adolescent offenders: {II}. {Intervention}},
	volume = {26},
	issn = {0012-1649},
	url = {https://doi.org/10.1037/0012-1649.26.2.269},
	doi = {10.1037/0012-1649.26.2.269},
	number = {2},
	journal = {Developmental Psychology},
	author = {Guerra, Nancy G. and Slaby, Ronald G.},
	year = {1990},
	pages = {269--277},
}
"""

# Mendeley/JabRef style: LaTeX accents, "and others", a corporate author in braces.
ACCENTS = r"""
% Exported from Mendeley
@article{Moller2001,
  Author = {M{\o}ller, Jens and M{\"u}ller, Hans-J{\"o}rg and others},
  Title = {Kognitiv adf{\ae}rdstr{\ae}ning for unge lovovertr{\ae}dere},
  Journal = {Nordisk Tidsskrift for Kriminalvidenskab},
  Year = {2001},
  Volume = {88},
  Doi = {10.9999/ntk.2001.88.1}
}

@techreport{who2010,
  author = {{World Health Organization}},
  title = {Global Tuberculosis Control: {WHO} Report 2010},
  institution = {World Health Organization},
  address = {Geneva},
  year = 2010
}
"""


def _write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _record(data_dir, sid: str) -> dict:
    return load(data_dir / "studies" / f"{sid}.yaml").data


@pytest.fixture
def studies(empty_data_dir, tmp_path):
    """Three studies from an extraction sheet: two with DOIs, one linked to a BibTeX entry."""
    csv = _write(tmp_path, "extraction.csv",
                 "study,ai,bi,ci,di,doi,bibkey\n"
                 "Guerra (1990),10,19,23,29,10.1037/0012-1649.26.2.269,\n"
                 "Møller et al (2001),12,30,20,25,https://doi.org/10.9999/NTK.2001.88.1,\n"
                 "World Health Organization (2010),5,40,9,38,,who2010\n")
    bib = _write(tmp_path, "linked.bib", ACCENTS.replace("Moller2001", "moller-linked"))
    result = run_import(empty_data_dir, "csv", csv, *CBT, "--bib", bib)
    assert result.exit_code == 0, result.output
    return empty_data_dir


# -- enriching ------------------------------------------------------------------------------------

def test_csv_with_bib_takes_the_full_citation(studies):
    who = _record(studies, "world-health-organization-2010")
    assert who["citation"]["authors"] == ["World Health Organization"]  # one corporate author, not three names
    assert who["citation"]["title"] == "Global Tuberculosis Control: WHO Report 2010"
    assert who["citation"]["publisher"] == "World Health Organization"
    assert who["citation"]["publication_type"] == "report"
    moller = _record(studies, "moeller-2001")
    assert moller["citation"]["authors"] == ["Møller, Jens", "Müller, Hans-Jörg"]
    assert moller["citation"]["et_al"] is True
    assert moller["citation"]["title"] == "Kognitiv adfærdstræning for unge lovovertrædere"
    assert load_corpus(studies).problems == []


def test_zotero_bibtex_enriches_by_doi_and_a_second_import_changes_nothing(studies, tmp_path):
    bib = _write(tmp_path, "zotero.bib", ZOTERO)
    result = run_import(studies, "bibtex", bib)
    assert result.exit_code == 0, result.output
    assert "0 new, 1 changed, 0 unchanged" in result.output
    record = _record(studies, "guerra-1990")
    citation = record["citation"]
    assert citation["authors"] == ["Guerra, Nancy G.", "Slaby, Ronald G."]
    assert citation["title"] == "Cognitive mediators of aggression in adolescent offenders: II. Intervention"
    assert (citation["journal"], citation["volume"], citation["issue"], citation["pages"]) == (
        "Developmental Psychology", "26", "2", "269–277")
    assert citation["bibkey"] == "guerra_cognitive_1990"
    assert record["effects"][0]["data"] == {"ai": 10, "bi": 19, "ci": 23, "di": 29}  # untouched
    history = record["provenance"]["history"]
    assert len(history) == 2 and history[1]["change"].startswith("Imported from zotero.bib: citation.authors")
    assert load_corpus(studies).problems == []

    before = tree_hash(studies)
    result = run_import(studies, "bibtex", bib)
    assert result.exit_code == 0, result.output
    assert "0 new, 0 changed, 1 unchanged" in result.output
    assert tree_hash(studies) == before
    assert len(list((studies / "studies").glob("*.yaml"))) == 3  # enriched, never duplicated


def test_title_and_year_match_without_a_doi(studies, tmp_path):
    bib = _write(tmp_path, "scholar.bib", r"""
@book{organization2010global,
  title={Global tuberculosis control -- WHO report 2010},
  author={World Health Organization},
  year={2010},
  url={https://apps.who.int/iris/handle/10665/44425},
  publisher={World Health Organization}
}""")
    result = run_import(studies, "bibtex", bib)
    assert result.exit_code == 0, result.output
    assert "world-health-organization-2010.yaml" in result.output and "1 changed" in result.output
    citation = _record(studies, "world-health-organization-2010")["citation"]
    assert citation["url"] == "https://apps.who.int/iris/handle/10665/44425"
    assert citation["bibkey"] == "who2010"  # a different key is a conflict: reported, kept
    assert "citation.bibkey: the record has 'who2010', the import file 'organization2010global'" in result.output


def test_conflicts_are_reported_and_kept_unless_force(studies, tmp_path):
    assert run_import(studies, "bibtex", _write(tmp_path, "zotero.bib", ZOTERO)).exit_code == 0
    other = ZOTERO.replace("{Developmental Psychology}", "{Dev. Psychol.}").replace("{26}", "{27}")
    path = _write(tmp_path, "other.bib", other)
    before = tree_hash(studies)
    result = run_import(studies, "bibtex", path)
    assert result.exit_code == 0, result.output
    assert ("citation.journal: the record has 'Developmental Psychology', the import file 'Dev. Psychol.'"
            " (kept the record)") in result.output
    assert "citation.volume: the record has '26', the import file '27'" in result.output
    assert tree_hash(studies) == before

    result = run_import(studies, "bibtex", path, "--force")
    assert result.exit_code == 0, result.output
    assert "(replaced with the import)" in result.output
    record = _record(studies, "guerra-1990")
    assert (record["citation"]["journal"], record["citation"]["volume"]) == ("Dev. Psychol.", "27")
    assert record["provenance"]["history"][-1]["change"] == (
        "Imported from other.bib: citation.journal, citation.volume")


def test_dry_run_shows_the_diff_and_writes_nothing(studies, tmp_path):
    before = tree_hash(studies)
    result = run_import(studies, "bibtex", _write(tmp_path, "zotero.bib", ZOTERO), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+  title: 'Cognitive mediators of aggression" in result.output
    assert "Dry run: nothing was written." in result.output
    assert tree_hash(studies) == before


def test_an_entry_that_matches_no_study_is_skipped_with_a_note(studies, tmp_path):
    bib = _write(tmp_path, "other.bib", "@article{x2020, author={Nobody, A.}, title={Unrelated}, year={2020}}")
    before = tree_hash(studies)
    result = run_import(studies, "bibtex", bib)
    assert result.exit_code == 0, result.output
    assert "other.bib:line 1: 'x2020' matches no study" in result.output
    assert tree_hash(studies) == before


# -- refusing broken BibTeX -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    (ZOTERO + "\n@article{nodate,\n  author = {Someone, A.},\n  title = {Undated},\n}\n",
     "refs.bib:line 15: year: entry 'nodate' has no year"),
    (ZOTERO + "\n@article{guerra_cognitive_1990,\n  author = {Else, B.},\n  title = {Other},\n  year = {1999},\n}\n",
     "refs.bib:line 15: duplicate entry key 'guerra_cognitive_1990' (the first is on line 2)"),
    (ZOTERO + "\n@article{broken,\n  author = {Broken, A.},\n  title = {Unclosed {brace,\n  year = {2005}\n}\n"
     "\n@article{next, title={Next}, year={2006}}\n",
     "refs.bib:line 15: entry 'broken' is broken and was not read"),
    (ZOTERO + "\n@article{twice, author={A, B}, title={T}, year={2001}, Year={2002}}\n",
     "refs.bib:line 15: year: entry 'twice' has this field more than once"),
    (ZOTERO + "\n@article{future, author={A, B}, title={T}, year={2999}}\n",
     "refs.bib:line 15: year: 2999 is in the future (entry 'future')"),
    (ZOTERO + "\n@article{inpress, author={A, B}, title={T}, year={in press}}\n",
     "refs.bib:line 15: year: 'in press' is not a year (entry 'inpress')"),
    (ZOTERO + "\n@misc{badurl, author={A, B}, title={T}, year={2001}, url={www.example.org}}\n",
     "refs.bib:line 15: url: Not a valid URL. (entry 'badurl')"),
    ("this is not bibtex at all\n", "refs.bib: no BibTeX entries found"),
])
def test_broken_bibtex_is_located_and_nothing_is_written(studies, tmp_path, text, expected):
    before = tree_hash(studies)
    result = run_import(studies, "bibtex", _write(tmp_path, "refs.bib", text))
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "nothing was written" in result.output
    assert tree_hash(studies) == before


def test_latin1_bibtex_is_refused(studies, tmp_path):
    before = tree_hash(studies)
    text = ZOTERO.replace("Guerra, Nancy G.", "Guérra, Nancy G.").encode("latin-1")
    result = run_import(studies, "bibtex", _write(tmp_path, "refs.bib", text))
    assert result.exit_code == 1
    assert "refs.bib:line 10: the file is not UTF-8 text: byte 0xE9" in result.output
    assert "UTF-8" in result.output and "nothing was written" in result.output
    assert tree_hash(studies) == before


# -- RIS --------------------------------------------------------------------------------------------

ENDNOTE_RIS = """TY  - JOUR
AU  - Guerra, Nancy G.
AU  - Slaby, Ronald G.
TI  - Cognitive mediators of aggression in adolescent offenders: II. Intervention
JO  - Developmental Psychology
PY  - 1990
VL  - 26
IS  - 2
SP  - 269
EP  - 277
DO  - 10.1037/0012-1649.26.2.269
UR  - https://doi.org/10.1037/0012-1649.26.2.269
N2  - Adolescents incarcerated for aggressive offenses were assigned to a cognitive mediation training.
ER  - 
"""

SCOPUS_RIS = """TY  - JOUR
AU  - Møller, J.
AU  - Müller, H.-J.
T1  - Kognitiv adfærdstræning for unge lovovertrædere
JF  - Nordisk Tidsskrift for Kriminalvidenskab
Y1  - 2001
VL  - 88
SP  - 1
EP  - 19
DO  - 10.9999/ntk.2001.88.1
UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-0000000000
AB  - Et kontrolleret forsøg.
DB  - Scopus
ER  - 
"""

WOS = """FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Guerra, NG
   Slaby, RG
AF Guerra, Nancy G.
   Slaby, Ronald G.
TI Cognitive mediators of aggression in adolescent offenders: II.
   Intervention
SO DEVELOPMENTAL PSYCHOLOGY
VL 26
IS 2
BP 269
EP 277
DI 10.1037/0012-1649.26.2.269
PY 1990
DT Article
ER

EF
"""


@pytest.mark.parametrize("text", [ENDNOTE_RIS, WOS], ids=["endnote", "web-of-science"])
def test_ris_enriches_by_doi(studies, tmp_path, text):
    result = run_import(studies, "ris", _write(tmp_path, "export.ris", text))
    assert result.exit_code == 0, result.output
    citation = _record(studies, "guerra-1990")["citation"]
    assert citation["authors"] == ["Guerra, Nancy G.", "Slaby, Ronald G."]
    assert citation["title"] == "Cognitive mediators of aggression in adolescent offenders: II. Intervention"
    assert citation["volume"] == "26" and citation["pages"] == "269–277"
    assert citation["publication_type"] == "journal-article"
    assert load_corpus(studies).problems == []
    result = run_import(studies, "ris", _write(tmp_path, "export.ris", text))
    assert "0 new, 0 changed, 1 unchanged" in result.output


def test_scopus_ris_with_abbreviated_authors_keeps_the_fuller_names(studies, tmp_path):
    result = run_import(studies, "ris", _write(tmp_path, "scopus.ris", SCOPUS_RIS))
    assert result.exit_code == 0, result.output
    citation = _record(studies, "moeller-2001")["citation"]
    assert citation["authors"] == ["Møller, Jens", "Müller, Hans-Jörg"]  # from the BibTeX: kept
    assert citation["abstract"] == "Et kontrolleret forsøg."
    assert citation["pages"] == "1–19"


@pytest.mark.parametrize(("text", "expected"), [
    (ENDNOTE_RIS + "\nTY  - JOUR\nTI  - Cut short\nPY  - 2001\n", "export.ris:line 16: TY: this record has no end tag"),
    (ENDNOTE_RIS + "\nTY  - JOUR\nAU  - Someone\nTI  - Undated\nER  - \n",
     "export.ris:line 16: PY: record 2 has no year"),
    (ENDNOTE_RIS.replace("PY  - 1990", "PY  - n.d."), "export.ris:line 1: PY: 'n.d.' is not a year (record 1)"),
    ("Hello\nworld\n", "export.ris: no RIS records found"),
])
def test_broken_ris_is_located_and_nothing_is_written(studies, tmp_path, text, expected):
    before = tree_hash(studies)
    result = run_import(studies, "ris", _write(tmp_path, "export.ris", text))
    assert result.exit_code == 1, result.output
    assert expected in result.output and "nothing was written" in result.output
    assert tree_hash(studies) == before


def test_a_bibkey_set_by_hand_links_and_the_extraction_still_reimports_unchanged(small_data_dir, tmp_path):
    # The seed record names the study as the meta-analysis does: "Guerra (1990)", no DOI, no title.
    path = small_data_dir / "studies" / "guerra-1990.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  year: 1990\n",
                                                             "  year: 1990\n  bibkey: guerra_cognitive_1990\n"))
    result = run_import(small_data_dir, "bibtex", _write(tmp_path, "zotero.bib", ZOTERO))
    assert result.exit_code == 0, result.output
    assert "guerra-1990.yaml" in result.output and "1 changed" in result.output
    record = _record(small_data_dir, "guerra-1990")
    assert record["citation"]["authors"] == ["Guerra, Nancy G.", "Slaby, Ronald G."]
    assert record["citation"]["publication_type"] == "journal-article"

    # The same row imported again from the same source is still the same study.
    source = record["provenance"]["source"]
    csv = _write(tmp_path, "l.csv", "study,ai,bi,ci,di,design\nGuerra (1990),10,19,23,29,rct\n")
    options = ["--intervention", "cbt-offenders", "--target-group", "juvenile-offenders", "--outcome", "recidivism",
               "--comparison", "control", "--source", source, "--dry-run"]
    result = run_import(small_data_dir, "csv", csv, *options)
    assert result.exit_code == 0, result.output
    assert "0 new" in result.output and "guerra-1990.yaml" in result.output


def test_same_author_and_year_from_another_source_is_refused_unless_forced(small_data_dir, tmp_path):
    csv = _write(tmp_path, "l.csv", "study,ai,bi,ci,di\nGuerra (1990),10,19,23,29\n")
    before = tree_hash(small_data_dir)
    result = run_import(small_data_dir, "csv", csv, *CBT[:-1], "Another review (2020)")
    assert result.exit_code == 1, result.output
    assert ("l.csv:row 2: study: 'Guerra (1990)' may be data/studies/guerra-1990.yaml" in result.output
            or "l.csv:row 2: study: 'Guerra (1990)' may be " in result.output), result.output
    assert "the same first author and year" in result.output and "--force" in result.output
    assert tree_hash(small_data_dir) == before
    result = run_import(small_data_dir, "csv", csv, *CBT[:-1], "Another review (2020)", "--force")
    assert result.exit_code == 0, result.output
    assert "imported as guerra-1990-b (--force)" in result.output
    assert (small_data_dir / "studies" / "guerra-1990-b.yaml").exists()


def test_a_similar_title_is_a_near_duplicate(small_data_dir, tmp_path):
    path = small_data_dir / "studies" / "rosenthal-1960.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  year: 1960\n", "  title: Effects of a programme for delinquent boys\n  year: 1960\n"))
    bib = _write(tmp_path, "s.bib", "@article{smith61, author = {Smith, A.}, year = {1961},"
                                    " title = {Effects of a program for delinquent boys}}\n")
    csv = _write(tmp_path, "l.csv", "study,ai,bi,ci,di,bibkey\nSmith (1961),10,19,23,29,smith61\n")
    result = run_import(small_data_dir, "csv", csv, *CBT, "--bib", bib, "--dry-run")
    assert result.exit_code == 1, result.output
    assert "may be " in result.output and "rosenthal-1960.yaml (a similar title" in result.output


def test_one_publication_with_two_studies_enriches_both(empty_data_dir, tmp_path):
    csv = _write(tmp_path, "g.csv", "study,ai,bi,ci,di,design,doi\n"
                                    "Guerra (1990),10,19,23,29,rct,10.1037/0012-1649.26.2.269\n"
                                    "Guerra (1990),5,33,14,13,nonequiv,10.1037/0012-1649.26.2.269\n")
    assert run_import(empty_data_dir, "csv", csv, *CBT).exit_code == 0
    result = run_import(empty_data_dir, "bibtex", _write(tmp_path, "zotero.bib", ZOTERO))
    assert result.exit_code == 0, result.output
    assert "0 new, 2 changed" in result.output
    for sid in ("guerra-1990", "guerra-1990-b"):
        assert _record(empty_data_dir, sid)["citation"]["journal"] == "Developmental Psychology"
