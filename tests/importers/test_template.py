"""templates/extraction-template.csv: one example row per data form, with real figures from the
published knowledge base and its committed sources (never invented), and importable as it is
into the published vocabularies."""

from __future__ import annotations

import csv
import shutil

from import_helpers import ROOT, run_import

from evidence.records.validate import load_corpus
from evidence.records.yamlio import load

TEMPLATE = ROOT / "templates" / "extraction-template.csv"
ESCALC = ["ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "sd1i", "m2i", "sd2i", "yi", "vi", "sei"]
STUDIES = ROOT / "data" / "studies"
DALGAARD = ROOT / "data" / "sources" / "dalgaard-group-based" / "data.csv"
#: Where each example row's figures come from: a published record's effect, or (the means row, whose record
#: holds the review's adjusted g) the posttest means and group sizes of the committed source row.
FROM_RECORD = {"Guerra (1990)": ("guerra-1990", "recidivism"), "Jacob et al. (2010)": ("jacob-2010", "es-182")}
FROM_SOURCE = {"Cano-Vindel et al. (2021)": (23, {"n1i": "N_t", "n2i": "N_c", "m1i": "m_post_t", "sd1i": "sd_post_t",
                                                  "m2i": "m_post_c", "sd2i": "sd_post_c"})}


def _rows():
    with TEMPLATE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_template_has_the_contract_columns_and_real_figures():
    rows = _rows()
    assert set(ESCALC) <= set(rows[0])
    assert {"study", "doi", "bibkey", "design", "country", "timepoint_months", "measure", "intervention",
            "target_group", "outcome", "comparison"} <= set(rows[0])
    forms = set()
    for row in rows:
        figures = {k: float(row[k]) for k in ESCALC if row[k]}
        if row["study"] in FROM_RECORD:
            sid, effect_id = FROM_RECORD[row["study"]]
            seed = load(STUDIES / f"{sid}.yaml").data
            (effect,) = [e for e in seed["effects"] if e["id"] == effect_id]
            assert figures == {k: float(v) for k, v in effect["data"].items()}, row["study"]
            for name in ("intervention", "target_group", "outcome", "comparison", "measure"):
                assert row[name] == effect[name]
            assert row["design"] == seed["design"]["type"]
            forms.add(effect["form"])
        else:
            number, columns = FROM_SOURCE[row["study"]]
            with DALGAARD.open(newline="", encoding="utf-8") as fh:
                source = list(csv.DictReader(fh))[number - 1]
            assert source["study"] == row["study"].replace(" (", " ").rstrip(")")
            assert figures == {k: float(source[c]) for k, c in columns.items()}, row["study"]
            forms.add("means")
    assert forms == {"counts", "means", "effect"}


def test_the_template_imports_as_it_is_into_the_published_vocabularies(tmp_path):
    data = tmp_path / "data"
    (data / "studies").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "vocabularies", data / "vocabularies")  # no test-fixture terms
    result = run_import(data, "csv", TEMPLATE, "--source", "The extraction template")
    assert result.exit_code == 0, result.output
    corpus = load_corpus(data)
    assert corpus.problems == [] and len(corpus.studies) == 3
    by_name = {s.data["id"]: s.data for s in corpus.studies}
    for mine, (sid, effect_id) in (("guerra-1990", FROM_RECORD["Guerra (1990)"]),
                                   ("jacob-2010", FROM_RECORD["Jacob et al. (2010)"])):
        (theirs,) = [e for e in load(STUDIES / f"{sid}.yaml").data["effects"] if e["id"] == effect_id]
        mine_data = {k: v for k, v in by_name[mine]["effects"][0]["data"].items()
                     if v is not None and k != "ci_level"}  # as loaded: schema defaults filled in
        assert mine_data == theirs["data"]
        assert by_name[mine]["effects"][0].get("followup_months") == theirs.get("followup_months")
    means = by_name["cano-vindel-2021"]["effects"][0]
    assert (means["form"], means["data"]["n1i"], means["data"]["m1i"]) == ("means", 315, 19.9)
