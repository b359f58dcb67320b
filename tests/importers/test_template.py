"""templates/extraction-template.csv: one example row per data form, with real figures from the
seed corpus (never invented), and importable as it is."""

from __future__ import annotations

import csv

from import_helpers import ROOT, run_import

from evidence.records.validate import load_corpus
from evidence.records.yamlio import load

TEMPLATE = ROOT / "templates" / "extraction-template.csv"
ESCALC = ["ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "sd1i", "m2i", "sd2i", "yi", "vi", "sei"]
SEEDS = {"Guerra (1990)": "guerra-1990", "Edinburgh": "normand1999-edinburgh", "Ashworth (1992)": "ashworth-1992"}


def test_the_template_has_the_contract_columns_and_real_figures():
    with TEMPLATE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(ESCALC) <= set(rows[0])
    assert {"study", "doi", "bibkey", "design", "country", "timepoint_months", "measure", "intervention",
            "target_group", "outcome", "comparison"} <= set(rows[0])
    forms = set()
    for row in rows:
        seed = load(ROOT / "data" / "studies" / f"{SEEDS[row['study']]}.yaml").data
        effect = seed["effects"][0]
        figures = {k: float(row[k]) for k in ESCALC if row[k]}
        assert figures == {k: float(v) for k, v in effect["data"].items()}, row["study"]
        for name in ("intervention", "target_group", "outcome", "comparison", "measure"):
            assert row[name] == effect[name]
        assert row["design"] == seed["design"]["type"]
        forms.add(effect["form"])
    assert forms == {"counts", "means", "effect"}


def test_the_template_imports_as_it_is(empty_data_dir):
    result = run_import(empty_data_dir, "csv", TEMPLATE, "--source", "The extraction template")
    assert result.exit_code == 0, result.output
    corpus = load_corpus(empty_data_dir)
    assert corpus.problems == [] and len(corpus.studies) == 3
    by_name = {s.data["id"]: s.data for s in corpus.studies}
    seeds = {s.data["id"]: s.data for s in load_corpus(ROOT / "data").studies}
    for mine, theirs in (("guerra-1990", "guerra-1990"), ("edinburgh", "normand1999-edinburgh"),
                         ("ashworth-1992", "ashworth-1992")):
        assert by_name[mine]["effects"][0]["data"] == seeds[theirs]["effects"][0]["data"]
        assert by_name[mine]["effects"][0]["followup_months"] == seeds[theirs]["effects"][0]["followup_months"]
