"""Golden tests: every number against R metafor 3.8-1 (reference data files).

The reference directory is ``$EVIDENCE_REFERENCE_DIR`` or, by default,
``<repo>/tests/stats/reference`` (kept in the repository, so a fresh clone
passes). If it is missing the tests fail (they do not skip): agreement with
metafor is the package's contract.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import os
from pathlib import Path

import pytest

from evidence.stats import conversions
from evidence.stats.escalc import escalc_many
from evidence.stats.rma import rma

REPO = Path(__file__).resolve().parents[2]
REF_DIR = Path(os.environ.get("EVIDENCE_REFERENCE_DIR", REPO / "tests" / "stats" / "reference"))
DATASETS = ("bcg", "normand1999", "landenberger2005", "bangertdrowns2004")
FIT_FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "pval", "tau2", "se_tau2", "I2", "H2",
              "QE", "QEp", "pi_lb", "pi_ub")
RAW_COLUMNS = {
    "RR": ("ai", "bi", "ci", "di", "n1i", "n2i"), "OR": ("ai", "bi", "ci", "di", "n1i", "n2i"),
    "RD": ("ai", "bi", "ci", "di", "n1i", "n2i"), "MD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "SMD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"), "ROM": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "GEN": ("yi", "vi", "sei"),
}
MISSING = (f"reference data directory {REF_DIR} is missing or incomplete; set "
           "EVIDENCE_REFERENCE_DIR to the folder with the *.metafor.json files")


def close(actual, expected) -> bool:
    """1e-6 relative, or 1e-9 absolute near zero; None only matches None."""
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isfinite(actual) and abs(actual - expected) <= max(1e-6 * abs(expected), 1e-9)


def _load(name):
    with open(REF_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def reference(dataset):
    return _load(f"{dataset}.metafor.json")


@functools.cache
def study_rows(dataset):
    with open(REF_DIR / f"{dataset}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _column(rows, name):
    return [None if r[name] in ("", "NA") else float(r[name]) for r in rows]


@functools.cache
def computed(dataset, measure):
    """Our escalc on the raw study data of the CSV."""
    rows = study_rows(dataset)
    cols = {c: _column(rows, c) for c in RAW_COLUMNS[measure] if c in rows[0]}
    if measure in ("RR", "OR", "RD") and "bi" in cols:
        cols.pop("n1i", None), cols.pop("n2i", None)
    return escalc_many(measure, **cols)


@functools.cache
def fitted(dataset, measure, method, test):
    yi, vi = computed(dataset, measure)
    return rma(yi, vi, method=method, test=test)


def _cases():
    """(id, kind, args) for every golden number; one failing case if data are missing."""
    try:
        refs = {d: reference(d) for d in DATASETS}
        conv = _load("conversions.metafor.json")
    except (OSError, ValueError):
        return [pytest.param("missing", (), id="reference-data-missing")]
    cases = []
    for d, ref in refs.items():
        for m, r in ref.items():
            for i in range(r["rows"]):
                for f in ("yi", "vi"):
                    cases.append(pytest.param("study", (d, m, i, f), id=f"{d}/{m}/study{i + 1}/{f}"))
            for key, _fit in r["fits"].items():
                for f in FIT_FIELDS:
                    cases.append(pytest.param("fit", (d, m, key, f), id=f"{d}/{m}/{key}/{f}"))
    for name, r in conv.items():
        if name == "note":
            continue
        for i in range(len(r["yi"])):
            for f in ("yi", "vi"):
                cases.append(pytest.param("conv", (name, i, f), id=f"conversions/{name}/study{i + 1}/{f}"))
    return cases


def converted(name):
    dataset, code = name.split("_")
    if code in ("OR2DL", "OR2DN"):
        fn = conversions.or_to_smd_logit if code == "OR2DL" else conversions.or_to_smd_normal
        yi, vi = computed(dataset, "OR")
        return [fn(y, v) for y, v in zip(yi, vi)]
    fn = conversions.smd_to_or_logit if code == "D2ORL" else conversions.smd_to_or_normal
    out = []
    for row in study_rows(dataset):
        args = {k: float(row[k]) for k in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")}
        out.append(fn(conversions.cohens_d(**args), args["n1i"], args["n2i"]))
    return out


@pytest.mark.parametrize(("kind", "args"), _cases())
def test_matches_metafor(kind, args):
    if kind == "missing":
        pytest.fail(MISSING)
    if kind == "study":
        d, m, i, f = args
        yi, vi = computed(d, m)
        ours = (yi if f == "yi" else vi)[i]
        expected = reference(d)[m][f][i]
    elif kind == "fit":
        d, m, key, f = args
        ref = reference(d)[m]["fits"][key]
        fit = fitted(d, m, ref["method"], ref["test"])
        assert fit.k == ref["k"]
        ours, expected = getattr(fit, f), ref[f]
    else:
        name, i, f = args
        ours = getattr(converted(name)[i], f)
        expected = _load("conversions.metafor.json")[name][f][i]
    assert close(ours, expected), f"ours {ours!r} vs metafor {expected!r}"


def test_reference_directory_is_present():
    assert (REF_DIR / "bcg.metafor.json").is_file(), MISSING
