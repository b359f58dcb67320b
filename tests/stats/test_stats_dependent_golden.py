"""Dependent effect sizes against R: stored metafor 3.8-1 / clubSandwich 0.5.8 values.

The reference values are in ``tests/stats/reference/dependent.metafor.json``,
made by ``make_reference.R`` from the CSV files beside it (sources and
licences in that folder's README.md), so these tests need neither R nor
anything outside the repository.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from evidence.stats.che import che_rve
from evidence.stats.dependent import aggregate, vcalc, vcalc_blocks
from evidence.stats.likelihood import evaluate
from evidence.stats.multilevel import rma_mv
from evidence.stats.regtest import regtest
from evidence.stats.rma import rma

REF = Path(__file__).with_name("reference")

# Named tolerances (relative, with an absolute floor for values near zero).
REL_RMA = 1e-6  # rma / meta-regression: the same closed forms and iteration as metafor
REL_CHE = 1e-5  # CHE-RVE: metafor's nlminb stops ~1e-7 short of the optimum (see below)
ABS_NEAR_ZERO = 1e-9  # floor for fields that are (nearly) 0, e.g. a p-value of 1e-80
# A variance component on the boundary: we report 0, metafor's nlminb (on
# log sigma2) stops at a tiny positive value. Observed at most ~1e-9 here.
ABS_VARIANCE_AT_BOUNDARY = 1e-7
# Agreement of our variance components with metafor's best-converged refit
REL_OPTIMUM = 1e-6
# Our log-likelihood must be at least metafor's (we are at the optimum,
# metafor within nlminb's rel.tol = 1e-10 of it).
LL_SLACK = 1e-9

DATASETS = {
    "konstantopoulos2011": ("district", "yi", "vi", None),
    "dalgaard2025_reintegration": ("study", "gt_pop", "vgt_pop", None),
    "dalgaard2025_mental_health": ("study", "gt_pop", "vgt_pop", None),
    "dietrichson2021": ("Study_ID", "Effectsize_g", None, "SE_g"),
}


@functools.cache
def reference() -> dict:
    with open(REF / "dependent.metafor.json", encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def data(name: str):
    study, yi, vi, sei = DATASETS[name]
    with open(REF / f"{name}.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([float(r[yi]) for r in rows])
    v = np.array([float(r[vi]) if vi else float(r[sei]) ** 2 for r in rows])
    return y, v, [r[study] for r in rows]


def close(actual, expected, rel, abs_=ABS_NEAR_ZERO) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isfinite(actual) and abs(actual - expected) <= max(rel * abs(expected), abs_)


def fits(model):
    return [f for f in reference()["fits"] if f["model"] == model]


def _id(f):
    return "-".join(str(f[k]) for k in ("dataset", "method", "rho", "test") if k in f)


@functools.cache
def _model(dataset, rho, method):
    y, v, study = data(dataset)
    return rma_mv(y, vcalc_blocks(v, study, rho), study, method=method)


@functools.cache
def _che(dataset, rho, method):
    y, v, study = data(dataset)
    return che_rve(y, v, study, rho=rho, method=method)


def fit_model(ref):
    return _model(ref["dataset"], ref["rho"], ref["method"])


def fit_che(ref):
    return _che(ref["dataset"], ref["rho"], ref["method"])


CHE_FIELDS = ("estimate", "se", "stat", "ci_lb", "ci_ub", "pval", "df", "pi_lb", "pi_ub",
              "QE", "QEp", "se_model")


@pytest.mark.parametrize("ref", fits("che"), ids=_id)
def test_che_rve_matches_metafor_and_clubsandwich(ref):
    fit = fit_che(ref)
    bad = [(f, getattr(fit, f), ref[f]) for f in CHE_FIELDS if not close(getattr(fit, f), ref[f], REL_CHE)]
    for name in ("tau2", "omega2"):
        ours, theirs = getattr(fit, name), ref[name]
        if ours == 0:
            ok = theirs < ABS_VARIANCE_AT_BOUNDARY
        else:
            ok = close(ours, theirs, REL_CHE)
        if not ok:
            bad.append((name, ours, theirs))
    assert (fit.k, fit.k_effects) == (ref["k"], ref["k_effects"])
    assert not bad, bad
    assert fit.converged and fit.model == "che-rve"


@pytest.mark.parametrize("ref", fits("che"), ids=_id)
def test_che_weights_are_row_shares_of_the_gls_estimate(ref):
    y, _, _ = data(ref["dataset"])
    fit = fit_che(ref)
    w = np.array(fit.weights)
    assert w.sum() == pytest.approx(100, rel=1e-12)
    assert float(w @ y) / 100 == pytest.approx(fit.estimate, rel=1e-10)
    # R: 100 * rowSums(solve(fit$M)) / sum(...), at metafor's sigma2: the
    # formula exactly there, and our fitted weights to REL_CHE of the largest
    # (a weight near 0 moves by more than REL_CHE of itself; some are negative)
    r = np.array(ref["weights"])
    at_r = evaluate(fit_model(ref).data, ref["tau2"], ref["omega2"], ref["method"] == "REML").w
    assert np.allclose(100 * at_r / at_r.sum(), r, rtol=1e-9, atol=1e-12)
    assert np.max(np.abs(w - r)) <= REL_CHE * np.max(np.abs(r))


@pytest.mark.parametrize("ref", fits("che"), ids=_id)
def test_variance_components_are_the_optimum(ref):
    """Our (tau2, omega2) reach at least metafor's log-likelihood and agree to
    REL_OPTIMUM with metafor refitted by a second optimiser (uobyqa), which
    gets closer to the optimum than its default nlminb."""
    fit = fit_model(ref)
    assert fit.ll >= ref["ll"] - LL_SLACK * abs(ref["ll"])
    if ref["tau2_tight"] is not None:
        assert fit.ll >= ref["ll_tight"] - LL_SLACK * abs(ref["ll_tight"])
        for name in ("tau2", "omega2"):
            ours = getattr(fit, name)
            if ours > 0:
                assert close(ours, ref[f"{name}_tight"], REL_OPTIMUM), (name, ours, ref[f"{name}_tight"])


RMA_FIELDS = ("estimate", "se", "stat", "ci_lb", "ci_ub", "pval", "tau2", "se_tau2", "I2", "H2",
              "QE", "QEp", "pi_lb", "pi_ub")


@pytest.mark.parametrize("ref", fits("rma"), ids=_id)
def test_rma_on_the_dependent_datasets(ref):
    y, v, _ = data(ref["dataset"])
    fit = rma(y, v, method=ref["method"], test=ref["test"])
    bad = [(f, getattr(fit, f), ref[f]) for f in RMA_FIELDS if not close(getattr(fit, f), ref[f], REL_RMA)]
    assert not bad, bad
    assert fit.df == (None if ref["df"] is None else int(ref["df"]))


@pytest.mark.parametrize("ref", fits("regtest"), ids=_id)
def test_regtest_matches_metafor(ref):
    y, v, _ = data(ref["dataset"])
    rt = regtest(y, v, method=ref["method"], test=ref["test"])
    pairs = {"estimate": rt.est, "ci_lb": rt.ci_lb, "ci_ub": rt.ci_ub, "stat": rt.stat, "pval": rt.pval,
             "tau2": rt.tau2, "se_tau2": rt.fit.se_tau2, "slope": rt.slope, "slope_se": rt.slope_se,
             "se": rt.fit.se[0], "QE": rt.fit.QE, "QEp": rt.fit.QEp, "ll": rt.fit.ll}
    bad = [(f, ours, ref[f]) for f, ours in pairs.items() if not close(ours, ref[f], REL_RMA)]
    assert not bad, bad
    assert rt.df == (None if ref["df"] is None else int(ref["df"]))
    assert (rt.zval is None) == (ref["test"] == "knha")
    assert rt.sei == pytest.approx(tuple(np.sqrt(v)))


@pytest.mark.parametrize("ref", reference()["aggregate"], ids=lambda r: f"{r['dataset']}-{r['rho']}")
def test_aggregate_matches_metafor(ref):
    y, v, study = data(ref["dataset"])
    agg = aggregate(y, v, study, rho=ref["rho"])
    assert [str(c) for c in agg.cluster] == [str(c) for c in ref["cluster"]]
    assert np.allclose(agg.yi, ref["yi"], rtol=REL_RMA, atol=ABS_NEAR_ZERO)
    assert np.allclose(agg.vi, ref["vi"], rtol=REL_RMA, atol=0)


def test_vcalc_matches_metafor():
    y, v, study = data("konstantopoulos2011")
    expected = np.array(reference()["vcalc_konstantopoulos2011_rho08"]["rows"]).reshape(len(v), len(v))
    assert np.allclose(vcalc(v, study, 0.8), expected.T, rtol=1e-14, atol=0)


def test_dietrichson_fit_is_fast():
    """1,334 effects in 195 clusters (Dietrichson et al. 2021): well under a second
    on an idle machine; the bound allows for a busy shared test runner."""
    y, v, study = data("dietrichson2021")
    start = time.perf_counter()
    che_rve(y, v, study, rho=0.8)
    assert time.perf_counter() - start < 5
