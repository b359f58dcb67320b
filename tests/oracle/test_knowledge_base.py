"""R is the oracle: every parameter the build stores, refitted in R from its own rows.

The repository's real knowledge base is built, every stored parameter is
exported with its per-study rows, and all of them are fitted in R in one
``Rscript`` run (metafor 3.8-1; clubSandwich for che-rve), as
docs/statistics.md §9 writes the model in R. Every stored number must agree:
``RMA_RTOL`` for rma, ``CHE_RTOL`` for che-rve (metafor's rma.mv optimises
with nlminb on log(sigma²); we solve the same score equations, so the optima
agree to the optimisers' tolerances, not to machine precision).
"""

from __future__ import annotations

import math

import pytest

from evidence.services.parameters import load_current
from evidence.stats.pooled import RHO_SENSITIVITY

from .runner import fit_in_r

RMA_RTOL = 1e-6
CHE_RTOL = 1e-5
#: Below this, a variance component is at its boundary: metafor reports a tiny positive value (log scale),
#: we report the optimum on the boundary; both mean "no variance" and the estimates still agree to CHE_RTOL.
VARIANCE_ATOL = 1e-8
#: Near-zero statistics (an estimate of 0.000…) are compared absolutely.
ATOL = 1e-9

RMA_FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "pval": "pval",
              "pi_low": "pi_lb", "pi_high": "pi_ub", "tau2": "tau2", "se_tau2": "se_tau2", "i2": "I2",
              "h2": "H2", "q": "QE", "q_pval": "QEp", "k": "k", "k_effects": "k_effects"}
CHE_FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "pval": "pval",
              "pi_low": "pi_lb", "pi_high": "pi_ub", "df": "df", "tau2": "tau2", "omega2": "omega2",
              "i2": "I2", "q": "QE", "q_pval": "QEp", "k": "k", "k_effects": "k_effects"}
VARIANCES = {"tau2", "omega2", "se_tau2"}
CHECKED: dict[str, int] = {}


def close(actual, expected, rtol: float, atol: float) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isfinite(actual) and abs(actual - expected) <= max(rtol * abs(expected), atol)


def _dataset(name: str, p: dict, model: str, rho: float) -> dict:
    rows = p["rows"]
    return {"name": name, "model": model, "method": p["method_used"], "test": p["test"] if model != "che" else "z",
            "rho": rho, "yi": [r["yi"] for r in rows], "vi": [r["vi"] for r in rows],
            "study": [r["study"] for r in rows], "subgroup": [r["sample"] for r in rows]}


def _model(p: dict) -> str:
    if p["model"] == "che-rve":
        return "che"
    return "agg" if p["k_effects"] > p["k"] else "rma"


@pytest.fixture(scope="module")
def stored(built_settings):
    from sqlalchemy.orm import Session

    from evidence.db.session import make_engine

    engine = make_engine(built_settings.database_url, readonly=True)
    with Session(engine) as session:
        source = load_current(session)
    engine.dispose()
    assert source is not None and source.parameters
    return source.parameters


@pytest.fixture(scope="module")
def fitted(stored):
    """R's fit of every stored parameter, its rho sensitivity fits and its small-study test, in one run."""
    datasets = []
    for i, p in enumerate(stored):
        datasets.append(_dataset(f"p{i}", p, _model(p), p["rho"] if p["rho"] is not None else 0.8))
        if p["model"] == "che-rve":
            for other in p["sensitivity"]["rho"]:
                datasets.append(_dataset(f"p{i}-rho{other['rho']}", p, "che", other["rho"]))
        if p["small_study_test"] is not None:
            effects = p["study_effects"]
            test = p["small_study_test"]
            datasets.append({"name": f"p{i}-regtest", "model": "regtest", "method": test["method"],
                             "test": test["test"], "yi": [s["yi"] for s in effects], "vi": [s["vi"] for s in effects]})
    results = {r["name"]: r for r in fit_in_r(datasets)}
    return results


def test_every_stored_parameter_equals_r(stored, fitted):
    mismatches = []
    for i, p in enumerate(stored):
        r = fitted[f"p{i}"]
        assert r["error"] is None, f"{p['id']}: R failed: {r['error']}"
        che = p["model"] == "che-rve"
        fields, rtol = (CHE_FIELDS, CHE_RTOL) if che else (RMA_FIELDS, RMA_RTOL)
        for ours, theirs in fields.items():
            if p["k"] == 1 and ours in ("i2", "h2", "q", "q_pval", "se_tau2", "pi_low", "pi_high"):
                continue  # k = 1: we report no heterogeneity (metafor prints NA or 0; see rma.K1_NOTE)
            atol = VARIANCE_ATOL if (che and ours in VARIANCES) else ATOL
            if not close(p[ours], r[theirs], rtol, atol):
                mismatches.append(f"{p['id']} ({p['model']}) {ours}: ours {p[ours]!r}, R {r[theirs]!r}")
        CHECKED[p["model"]] = CHECKED.get(p["model"], 0) + 1
    assert not mismatches, "\n".join(mismatches[:50])
    assert sum(CHECKED.values()) == len(stored)


def test_rho_sensitivity_equals_r(stored, fitted):
    checked = 0
    for i, p in enumerate(stored):
        if p["model"] != "che-rve":
            assert p["sensitivity"]["rho"] == []
            continue
        assert sorted(s["rho"] for s in p["sensitivity"]["rho"]) == sorted(
            r for r in RHO_SENSITIVITY if r != p["rho"])
        for s in p["sensitivity"]["rho"]:
            r = fitted[f"p{i}-rho{s['rho']}"]
            assert r["error"] is None, r["error"]
            for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_lb"),
                                 ("ci_high", "ci_ub"), ("df", "df")):
                assert close(s[ours], r[theirs], CHE_RTOL, ATOL), (p["id"], s["rho"], ours, s[ours], r[theirs])
            for name in ("tau2", "omega2"):
                assert close(s[name], r[name], CHE_RTOL, VARIANCE_ATOL), (p["id"], s["rho"], name)
            checked += 1
    CHECKED["rho sensitivity fits"] = checked


def test_small_study_tests_equal_r(stored, fitted):
    checked = 0
    for i, p in enumerate(stored):
        test = p["small_study_test"]
        if p["k"] < 10:
            assert test is None, p["id"]
            continue
        r = fitted[f"p{i}-regtest"]
        assert r["error"] is None, r["error"]
        for ours, theirs in (("stat", "stat"), ("pval", "pval"), ("limit_estimate", "estimate"),
                             ("limit_ci_low", "ci_lb"), ("limit_ci_high", "ci_ub")):
            assert close(test[ours], r[theirs], RMA_RTOL, ATOL), (p["id"], ours, test[ours], r[theirs])
        checked += 1
    CHECKED["small-study tests"] = checked
