"""rma: special cases, fallbacks, validation and properties on random data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evidence.stats import tau2 as tau2_module
from evidence.stats.rma import K1_NOTE, METHODS, TESTS, Fit, rma

Y = [-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37, -0.34, 0.45, -0.02]
V = [0.33, 0.19, 0.42, 0.02, 0.05, 0.01, 0.22, 0.004, 0.06, 0.07, 0.01, 0.53, 0.07]

FLOAT_FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "stat", "pval", "tau2")
OPTIONAL_FIELDS = ("se_tau2", "I2", "H2", "QE", "QEp", "pi_lb", "pi_ub")


def test_constants():
    assert METHODS == ("EE", "DL", "REML", "PM", "SJ", "HS", "HE", "ML", "EB")
    assert TESTS == ("z", "knha")


def test_single_study_is_its_own_estimate():
    fit = rma([0.4], [0.04], method="REML", test="knha")
    assert (fit.estimate, fit.se, fit.tau2, fit.k) == (0.4, pytest.approx(0.2), 0.0, 1)
    assert fit.ci_lb == pytest.approx(0.4 - stats.norm.ppf(0.975) * 0.2)
    assert fit.I2 is fit.H2 is fit.QE is fit.QEp is fit.se_tau2 is fit.pi_lb is None
    assert fit.df is None and fit.test == "knha" and fit.test_used == "z"
    assert K1_NOTE in fit.notes and any("knha" in n for n in fit.notes)
    assert fit.weights == (100.0,)


def test_equal_effects_is_inverse_variance_mean():
    fit = rma(Y, V, method="EE")
    w = 1 / np.array(V)
    assert fit.estimate == pytest.approx(np.sum(w * Y) / w.sum(), rel=1e-14)
    assert fit.se == pytest.approx(math.sqrt(1 / w.sum()), rel=1e-14)
    assert fit.tau2 == 0 and fit.se_tau2 is None and fit.pi_lb is None


def test_knha_scale_factor_is_not_truncated_at_one():
    # nearly homogeneous data: s2 = Q/(k-1) < 1, so the knha se is *smaller*
    y, v = [0.10, 0.12, 0.11, 0.09], [0.04, 0.05, 0.04, 0.06]
    z, kh = rma(y, v, method="DL", test="z"), rma(y, v, method="DL", test="knha")
    w = 1 / (np.array(v) + z.tau2)
    s2 = np.sum(w * (np.array(y) - z.estimate) ** 2) / 3
    assert s2 < 1
    assert kh.se == pytest.approx(z.se * math.sqrt(s2), rel=1e-12)
    assert kh.df == 3 and kh.test_used == "knha"
    assert kh.ci_ub - kh.estimate == pytest.approx(stats.t.ppf(0.975, 3) * kh.se)


def test_prediction_interval_uses_t_for_knha_and_normal_for_z():
    for test, crit in (("z", stats.norm.ppf(0.975)), ("knha", stats.t.ppf(0.975, len(Y) - 1))):
        fit = rma(Y, V, method="REML", test=test)
        assert fit.pi_ub - fit.estimate == pytest.approx(crit * math.sqrt(fit.se ** 2 + fit.tau2))


def test_i2_uses_typical_within_study_variance():
    fit = rma(Y, V, method="DL")
    w = 1 / np.array(V)
    vt = (len(Y) - 1) / (w.sum() - np.sum(w ** 2) / w.sum())
    assert fit.I2 == pytest.approx(100 * fit.tau2 / (vt + fit.tau2))
    assert fit.H2 == pytest.approx(1 + fit.tau2 / vt)


def test_level_changes_interval():
    wide, narrow = rma(Y, V, level=0.99), rma(Y, V, level=0.90)
    assert wide.ci_ub - wide.ci_lb > narrow.ci_ub - narrow.ci_lb
    assert wide.level == 0.99


def test_non_convergence_falls_back_to_dl(monkeypatch):
    monkeypatch.setattr(tau2_module, "MAXITER", 0)
    fit = rma(Y, V, method="REML")
    dl = rma(Y, V, method="DL")
    assert not fit.converged and fit.method == "REML" and fit.method_used == "DL"
    assert fit.tau2 == dl.tau2 and fit.estimate == dl.estimate
    assert any("did not converge" in n and "DL" in n for n in fit.notes)


def test_oscillating_fisher_scoring_falls_back_like_metafor_errors():
    # REML Fisher scoring alternates between two values here (metafor stops)
    fit = rma([0, 0, 0, 0, 1], [1, 1, 1, 1, 0.125], method="REML")
    assert fit.method_used == "DL" and not fit.converged


def test_pm_beyond_metafor_upper_bound_widens_search():
    y, v = [-100.0, 100.0, 0.0, 50.0], [1.0, 1.0, 1.0, 1.0]
    fit = rma(y, v, method="PM")
    w = 1 / (np.array(v) + fit.tau2)
    mu = np.sum(w * y) / w.sum()
    q = np.sum(w * (np.array(y) - mu) ** 2)
    assert fit.tau2 > 100 and q == pytest.approx(3, rel=1e-3)
    assert any("tau2.max" in n for n in fit.notes)


def test_knha_degenerate_falls_back_to_z():
    fit = rma([0.3, 0.3, 0.3], [0.1, 0.2, 0.3], method="REML", test="knha")
    assert fit.test_used == "z" and fit.df is None
    assert math.isfinite(fit.stat) and fit.se > 0
    assert any("knha undefined" in n for n in fit.notes)


@pytest.mark.parametrize(("yi", "vi", "word"), [
    ([], [], "empty"),
    ([1, 2], [1], "lengths"),
    ([1, float("nan")], [1, 1], "yi"),
    ([1, 2], [1, float("inf")], "vi"),
    ([1, 2], [1, 0], "vi"),
    ([1, 2], [1, -0.5], "vi"),
])
def test_invalid_input(yi, vi, word):
    with pytest.raises(ValueError, match=word):
        rma(yi, vi)


@pytest.mark.parametrize(("kwargs", "word"), [
    (dict(method="XX"), "method"), (dict(test="t"), "test"), (dict(level=95), "level"),
])
def test_invalid_options(kwargs, word):
    with pytest.raises(ValueError, match=word):
        rma(Y, V, **kwargs)


data = st.integers(1, 30).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-50, 50, allow_subnormal=False), min_size=k, max_size=k),
    st.lists(st.floats(1e-4, 1e3), min_size=k, max_size=k),
))


def check_fit(fit: Fit, k: int):
    assert isinstance(fit, Fit) and fit.k == k
    for name in FLOAT_FIELDS:
        assert math.isfinite(getattr(fit, name)), name
    for name in OPTIONAL_FIELDS:
        value = getattr(fit, name)
        assert value is None or math.isfinite(value), name
    assert fit.se > 0 and fit.tau2 >= 0 and 0 <= fit.pval <= 1
    assert fit.ci_lb <= fit.estimate <= fit.ci_ub
    assert len(fit.weights) == k and sum(fit.weights) == pytest.approx(100)
    if k > 1:
        assert 0 <= fit.I2 < 100 and fit.QE >= 0 and 0 <= fit.QEp <= 1
    if fit.pi_lb is not None:
        assert fit.pi_lb <= fit.ci_lb + 1e-12 and fit.ci_ub <= fit.pi_ub + 1e-12


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", TESTS)
@settings(max_examples=100, deadline=None, derandomize=True)
@given(d=data)
def test_any_valid_input_gives_a_finite_fit(method, test, d):
    yi, vi = d
    check_fit(rma(yi, vi, method=method, test=test), len(yi))


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None, derandomize=True)
@given(d=data, shift=st.floats(-10, 10), seed=st.integers(0, 2 ** 16))
def test_permutation_and_shift_invariance(method, d, shift, seed):
    yi, vi = (np.array(x) for x in d)
    base = rma(yi, vi, method=method)
    order = np.random.default_rng(seed).permutation(len(yi))
    perm = rma(yi[order], vi[order], method=method)
    assert perm.estimate == pytest.approx(base.estimate, rel=1e-9, abs=1e-9)
    assert perm.tau2 == pytest.approx(base.tau2, rel=1e-6, abs=1e-9)
    moved = rma(yi + shift, vi, method=method)
    if moved.method_used != base.method_used:
        return  # a fallback on one side only: nothing to compare
    # iterative estimators stop at |change| <= 1e-5, so allow for one more/less step
    assert moved.tau2 == pytest.approx(base.tau2, rel=1e-4, abs=1e-6)
    assert moved.estimate == pytest.approx(base.estimate + shift, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("method", ["EE", "DL", "HS", "HE", "SJ"])
@settings(max_examples=40, deadline=None, derandomize=True)
@given(d=data, scale=st.floats(0.01, 100))
def test_closed_form_estimators_are_scale_equivariant(method, d, scale):
    yi, vi = (np.array(x) for x in d)
    base, scaled = rma(yi, vi, method=method), rma(yi * scale, vi * scale ** 2, method=method)
    assert scaled.tau2 == pytest.approx(base.tau2 * scale ** 2, rel=1e-8, abs=1e-12)
    assert scaled.estimate == pytest.approx(base.estimate * scale, rel=1e-8, abs=1e-12)
    if base.I2 is not None:
        assert scaled.I2 == pytest.approx(base.I2, rel=1e-8, abs=1e-9)
