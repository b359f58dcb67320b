"""/api/v1/parameters: the export document, filters, re-pooling on request, and metafor's numbers."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from api_helpers import BCG_RR, CBT, is_problem
from openpyxl import load_workbook

from evidence.stats.rma import METHODS, TESTS

API = "/api/v1"


def test_parameters_is_the_export_document(client):
    body = client.get(f"{API}/parameters").get_json()
    exported = client.get(f"{API}/parameters.json")
    assert exported.headers["Content-Disposition"].startswith("inline; filename=\"evidence-parameters-")
    assert json.loads(exported.data) == body
    assert body["schema"] == "evidence-parameters/1"
    assert body["settings"] == {"method": "REML", "test": "z", "level": 0.95, "rho": 0.8}
    assert body["dataset_version"] == client.get(f"{API}/parameters").headers["X-Dataset-Version"]


def test_filters_select_exactly(client):
    body = client.get(f"{API}/parameters?intervention=cbt-offenders&target_group=offenders&measure=RR").get_json()
    ids = [p["id"] for p in body["parameters"]]
    assert CBT in ids and all(p["target_group"] == "offenders" and p["measure"] == "RR" for p in body["parameters"])
    assert body["settings"]["filters"] == {"intervention": "cbt-offenders", "target_group": "offenders",
                                           "measure": "RR"}
    none = client.get(f"{API}/parameters?intervention=cbt-offenders&followup=37m-plus").get_json()
    assert none["parameters"] == []


def test_an_unknown_slug_is_a_400_with_suggestions(client):
    body = is_problem(client.get(f"{API}/parameters?intervention=cbt-ofenders"), 400)
    assert body["suggestions"][0] == "cbt-offenders" and "intervention" in body["errors"]


@pytest.mark.parametrize("query, name", [
    ("method=XYZ", "method"), ("test=t", "test"), ("baseline_risk=1.5", "baseline_risk"),
    ("baseline_risk=0", "baseline_risk"), ("baseline_risk=abc", "baseline_risk"),
    ("baseline_risk=nan", "baseline_risk"),
    ("measure=XX", "measure"), ("methd=DL", "methd"), ("intervention=", "intervention")])
def test_bad_values_are_400_problems_naming_the_parameter(client, query, name):
    body = is_problem(client.get(f"{API}/parameters?{query}"), 400)
    assert name in body["errors"] and body["type"].endswith("#problem-invalid-parameter")


def test_cache_busters_are_ignored(client):
    assert client.get(f"{API}/parameters?_=12345").status_code == 200


def test_one_parameter_and_its_suggestions(client):
    one = client.get(f"{API}/parameters/{CBT}").get_json()
    assert one["id"] == CBT and one["dataset_version"] and one["generated_at"]
    assert one["scale"] == "log" and len(one["studies"]) == one["k"] == len(one["rows"])
    body = is_problem(client.get(f"{API}/parameters/{CBT[:-1]}X"), 404)
    assert CBT in body["suggestions"]


def test_baseline_risk_gives_the_risk_change_at_the_callers_baseline(client):
    stored = client.get(f"{API}/parameters/{CBT}").get_json()
    mine = client.get(f"{API}/parameters/{CBT}?baseline_risk=0.5").get_json()
    assert mine["control_risk"] == 0.5 and mine["control_risk_source"] == "supplied by the caller"
    assert mine["treated_risk"] == pytest.approx(0.5 * stored["estimate_natural"], rel=1e-12)
    assert mine["risk_difference_pp"] == pytest.approx(100 * (mine["treated_risk"] - 0.5), rel=1e-12)
    assert mine["estimate"] == stored["estimate"], "the baseline does not change the pooled effect"


def test_other_methods_are_pooled_again_and_stored_values_are_reml_z(client):
    stored = client.get(f"{API}/parameters/{CBT}").get_json()
    explicit = client.get(f"{API}/parameters/{CBT}?method=REML&test=z").get_json()
    assert explicit == stored
    dl = client.get(f"{API}/parameters/{CBT}?method=DL&test=knha").get_json()
    assert (dl["method"], dl["test"], dl["df"]) == ("DL", "knha", dl["k"] - 1)
    assert dl["estimate"] != stored["estimate"] and dl["studies"] == stored["studies"]


ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("EVIDENCE_REFERENCE_DIR", ROOT / "tests" / "stats" / "reference"))
BCG = REFERENCE / "bcg.metafor.json"
FITS = json.loads(BCG.read_text(encoding="utf-8"))["RR"]["fits"] if BCG.exists() else {}
FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "pval": "pval",
          "tau2": "tau2", "i2": "I2", "h2": "H2", "q": "QE", "q_pval": "QEp", "pi_low": "pi_lb", "pi_high": "pi_ub",
          "se_tau2": "se_tau2"}


def test_the_reference_has_every_method_and_test():
    if not FITS:
        pytest.skip(f"no metafor reference at {BCG}: set EVIDENCE_REFERENCE_DIR")
    # metafor has no Knapp-Hartung test for the equal-effects model
    assert set(FITS) == {f"{m}_{t}" for m in METHODS for t in TESTS} - {"EE_knha"}


@pytest.mark.parametrize("fit", sorted(FITS) or [pytest.param("none", marks=pytest.mark.skip("no reference"))])
def test_bcg_through_the_api_equals_metafor(client, fit):
    """Golden cross-check: the API's re-pooled BCG risk ratio for every method and test, to 1e-6 relative."""
    expected = FITS[fit]
    method, test = expected["method"], expected["test"]
    got = client.get(f"{API}/parameters/{BCG_RR}?method={method}&test={test}").get_json()
    assert got["k"] == expected["k"] == 13 and got["method_used"] == method
    for ours, theirs in FIELDS.items():
        if expected.get(theirs) is None:
            assert got[ours] is None, ours
            continue
        assert got[ours] == pytest.approx(expected[theirs], rel=1e-6, abs=1e-12), ours


def test_csv_and_xlsx_exports_carry_the_same_numbers(client):
    query = "method=PM&test=knha&measure=RR"
    doc = client.get(f"{API}/parameters.json?{query}").get_json(force=True)
    response = client.get(f"{API}/parameters.csv?{query}")
    assert response.mimetype == "text/csv" and response.headers["Content-Disposition"].startswith("attachment")
    assert "-PM-knha.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == [p["id"] for p in doc["parameters"]]
    for row, p in zip(rows, doc["parameters"]):
        assert float(row["estimate"]) == p["estimate"] and row["studies"].split(";") == p["studies"]
    book = load_workbook(io.BytesIO(client.get(f"{API}/parameters.xlsx?{query}").data))
    header, *values = book["parameters"].iter_rows(values_only=True)
    col = header.index("estimate")
    assert [v[col] for v in values] == pytest.approx([p["estimate"] for p in doc["parameters"]], rel=1e-15)
