"""Dependent effect sizes: edge cases, validation and properties that need no R."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evidence.stats.che import che_rve
from evidence.stats.dependent import aggregate, group_rows, vcalc, vcalc_blocks
from evidence.stats.likelihood import evaluate
from evidence.stats.multilevel import rma_mv
from evidence.stats.regtest import regtest
from evidence.stats.rma import rma
from evidence.stats.robust import robust

# a small fixed dataset: 4 clusters, 1-3 effects each (values chosen by hand)
Y = [0.30, 0.10, 0.45, -0.05, 0.20, 0.60, 0.35, 0.15]
V = [0.04, 0.05, 0.03, 0.02, 0.06, 0.05, 0.04, 0.03]
CLUSTER = ["a", "a", "b", "c", "c", "c", "d", "d"]


def test_vcalc_structure():
    m = vcalc(V, CLUSTER, rho=0.6)
    assert m[0, 1] == pytest.approx(0.6 * math.sqrt(0.04 * 0.05))
    assert m[0, 2] == 0 and m[2, 3] == 0
    assert np.allclose(np.diag(m), V) and np.allclose(m, m.T)
    with_sub = vcalc(V, CLUSTER, rho=0.6, subgroup=[1, 1, 1, 1, 2, 1, 1, 1])
    assert with_sub[3, 4] == 0 and with_sub[3, 5] == pytest.approx(0.6 * math.sqrt(0.02 * 0.05))


def test_vcalc_blocks_follow_first_appearance():
    groups = group_rows(["x", "y", "x", "z"])
    assert groups.ids == ("x", "y", "z")
    assert [r.tolist() for r in groups.rows] == [[0, 2], [1], [3]]
    blocks = vcalc_blocks([1.0, 2.0, 4.0, 3.0], ["x", "y", "x", "z"], rho=0.5)
    assert np.allclose(blocks[0], [[1.0, 1.0], [1.0, 4.0]])


def test_aggregate_is_gls_mean_and_reduces_to_inverse_variance_at_rho_0():
    agg = aggregate(Y, V, CLUSTER, rho=0.0)
    assert agg.cluster == ("a", "b", "c", "d")
    w = 1 / np.array([0.04, 0.05])
    assert agg.yi[0] == pytest.approx((w @ [0.30, 0.10]) / w.sum())
    assert agg.vi[0] == pytest.approx(1 / w.sum())
    assert agg.yi[1] == 0.45 and agg.vi[1] == 0.03  # one effect: unchanged
    high = aggregate(Y, V, CLUSTER, rho=0.9)
    assert high.vi[0] > agg.vi[0]  # correlated effects carry less information


def test_rho_zero_without_within_variance_is_rma():
    """rho = 0 and one effect per cluster: the multilevel model is rma with
    tau2 = tau2 + omega2 (the split is not identified; reported equally)."""
    y, v = [0.3, 0.1, 0.45, -0.05, 0.2, 0.6], [0.04, 0.05, 0.03, 0.02, 0.06, 0.05]
    fit = rma_mv(y, vcalc(v, range(6), 0.0), list(range(6)))
    uni = rma(y, v, method="REML")
    # rma stops Fisher scoring at a 1e-5 change; rma_mv runs to the optimum
    assert fit.tau2 + fit.omega2 == pytest.approx(uni.tau2, rel=1e-4)
    assert fit.tau2 == fit.omega2
    assert fit.estimate == pytest.approx(uni.estimate, rel=1e-5)
    assert any("not separately identifiable" in n for n in fit.notes)


def test_single_effect_clusters_mixed_with_multi_effect_clusters():
    fit = che_rve(Y, V, CLUSTER, rho=0.8)
    assert (fit.k, fit.k_effects) == (4, 8)
    assert math.isfinite(fit.se) and fit.df > 0 and fit.pi_lb < fit.ci_lb < fit.estimate < fit.ci_ub < fit.pi_ub
    assert sum(fit.weights) == pytest.approx(100)
    assert sum(w * y for w, y in zip(fit.weights, Y)) / 100 == pytest.approx(fit.estimate)


def test_fit_is_a_kuhn_tucker_point():
    for method in ("REML", "ML"):
        fit = rma_mv(Y, vcalc_blocks(V, CLUSTER, 0.5), CLUSTER, method=method)
        score = evaluate(fit.data, fit.tau2, fit.omega2, method == "REML").score
        for value, g in zip((fit.tau2, fit.omega2), score):
            assert (abs(g) < 1e-6) if value > 0 else (g <= 1e-9)


def test_identical_estimates_put_both_components_at_zero():
    y = [0.2] * 6
    v = [0.05, 0.04, 0.06, 0.05, 0.03, 0.04]
    cl = [1, 1, 2, 2, 3, 3]
    fit = che_rve(y, v, cl, rho=0.8)
    assert fit.tau2 == 0 and fit.omega2 == 0
    assert fit.estimate == pytest.approx(0.2)
    assert fit.se == pytest.approx(0, abs=1e-12)  # no residual: the robust SE is 0
    assert any("boundary" in n for n in fit.notes)
    assert any("numerically 0" in n for n in fit.notes)


def test_no_within_cluster_variation_puts_omega2_at_zero():
    # effects of one cluster equal, clusters differ a lot: all heterogeneity is between
    y = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, -1.0, -1.0]
    v = [0.01] * 8
    fit = rma_mv(y, vcalc_blocks(v, [1, 1, 2, 2, 3, 3, 4, 4], 0.5), [1, 1, 2, 2, 3, 3, 4, 4])
    assert fit.omega2 == 0 and fit.tau2 > 1
    assert fit.converged


def test_rho_close_to_one_stays_finite():
    fit = che_rve(Y, V, CLUSTER, rho=0.999)
    assert all(math.isfinite(x) for x in (fit.estimate, fit.se, fit.df, fit.pi_lb, fit.QE))


def test_robust_level_changes_only_the_intervals():
    fit = rma_mv(Y, vcalc_blocks(V, CLUSTER, 0.8), CLUSTER)
    r95, r90 = robust(fit), robust(fit, level=0.9)
    assert r95.se == r90.se and r95.df == r90.df
    assert r90.ci_ub - r90.ci_lb < r95.ci_ub - r95.ci_lb


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"cluster": ["a"] * 8}, "at least 2 clusters"),
    ({"rho": 1.0}, r"rho must be a number in \[0, 1\)"),
    ({"rho": -0.1}, "rho"),
    ({"method": "DL"}, "method"),
    ({"level": 95}, "level"),
    ({"yi": Y[:-1]}, "different lengths"),
    ({"vi": V[:-1] + [0.0]}, "row 8"),
    ({"yi": Y[:-1] + [float("nan")]}, "row 8"),
    ({"cluster": CLUSTER[:-1] + [None]}, "cluster is missing in row 8"),
    ({"cluster": CLUSTER[:-1]}, "cluster has 7 entries"),
    ({"subgroup": [1] * 7}, "subgroup has 7 entries"),
])
def test_che_rve_rejects_bad_input(kwargs, message):
    args = {"yi": Y, "vi": V, "cluster": CLUSTER} | kwargs
    with pytest.raises(ValueError, match=message):
        che_rve(**args)


def test_rma_mv_rejects_covariance_between_clusters():
    m = vcalc(V, CLUSTER, 0.5)
    m[0, 2] = m[2, 0] = 0.001
    with pytest.raises(ValueError, match="different clusters"):
        rma_mv(Y, m, CLUSTER)
    with pytest.raises(ValueError, match="blocks"):
        rma_mv(Y, vcalc_blocks(V, CLUSTER, 0.5)[:-1], CLUSTER)


def test_regtest_by_hand_without_heterogeneity():
    """EE (tau2 = 0): weighted least squares of y on sei with weights 1/v."""
    y = np.array([0.5, 0.3, 0.8, 0.1, 0.4])
    v = np.array([0.04, 0.02, 0.09, 0.01, 0.03])
    rt = regtest(y, v, method="EE")
    X = np.column_stack([np.ones(5), np.sqrt(v)])
    W = np.diag(1 / v)
    beta = np.linalg.solve(X.T @ W @ X, X.T @ W @ y)
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ W @ X)))
    assert (rt.est, rt.slope) == pytest.approx(tuple(beta))
    assert rt.stat == pytest.approx(beta[1] / se[1]) and rt.zval == rt.stat and rt.tval is None
    with pytest.raises(ValueError, match="at least 3"):
        regtest(y[:2], v[:2])


def test_aggregate_with_subgroups_matches_metafor():
    """Reference from R 4.2.2 / metafor 3.8-1:
    d <- data.frame(study=c("a","a","a","b","b","c"), sub=c(1,1,2,1,2,1),
                    yi=c(.3,.1,.45,-.05,.2,.6), vi=c(.04,.05,.03,.02,.06,.05)); d$es <- 1:6
    V <- vcalc(vi, cluster=study, subgroup=sub, obs=es, rho=0.7, data=d)
    aggregate(escalc(yi=yi, vi=vi, data=d), cluster=d$study, V=V)"""
    agg = aggregate([.3, .1, .45, -.05, .2, .6], [.04, .05, .03, .02, .06, .05], list("aaabbc"),
                    rho=0.7, subgroup=[1, 1, 2, 1, 2, 1])
    assert agg.cluster == ("a", "b", "c")
    assert np.allclose(agg.yi, [0.35474808676806424, 0.012500000000000001, 0.59999999999999998], rtol=1e-12)
    assert np.allclose(agg.vi, [0.016615057737202683, 0.014999999999999999, 0.049999999999999975], rtol=1e-12)


def test_weakly_identified_split_converges():
    """One two-effect cluster among singletons: omega2 rests on one pair of
    effects. Fisher scoring alone crawled here (> 500 iterations); the Newton
    steps converge to a Kuhn-Tucker point in a few."""
    rng = np.random.default_rng(1)
    for _ in range(30):
        n = int(rng.integers(6, 13))
        cluster = [0] + list(range(n))
        v = rng.uniform(0.005, 0.5, n + 1)
        y = rng.normal(0, 0.3, n)[cluster] + rng.normal(0, 0.3, n + 1) + rng.normal(0, np.sqrt(v))
        for method in ("REML", "ML"):
            fit = rma_mv(y, vcalc_blocks(v, cluster, 0.5), cluster, method=method)
            assert fit.converged and fit.iterations <= 50
            score = evaluate(fit.data, fit.tau2, fit.omega2, method == "REML").score
            for value, g in zip((fit.tau2, fit.omega2), score):
                assert (abs(g) < 1e-6) if value > 0 else (g <= 1e-9)
