"""Many two-level fits at once (:mod:`evidence.stats.stacked`): each is the fit it would be alone, and the
stacked likelihood is the one-fit likelihood."""

from __future__ import annotations

import numpy as np
import pytest

from evidence.stats import likelihood, pooled, stacked
from evidence.stats.che import che_rve, che_rve_many
from evidence.stats.clusters import Blocks
from evidence.stats.dependent import group_rows, vcalc_blocks

#: The stacked likelihood works in the clusters' eigenbases, the one-fit one from M⁻¹ itself: rounding apart.
SUMS_RTOL = 1e-12
#: Both maximisations stop at a relative change of 1e-12 in (tau2, omega2), on paths that differ by rounding.
FIT_RTOL = 1e-9


def _problems(seed: int, n: int) -> list[tuple]:
    """Random CHE datasets of different widths (largest study), study counts and subgroup structures."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        sizes = rng.integers(1, rng.integers(2, 6), size=rng.integers(2, 14))
        cluster = [f"s{j}" for j, m in enumerate(sizes) for _ in range(m)]
        k = len(cluster)
        vi = rng.uniform(0.01, 0.2, size=k)
        yi = rng.normal(0.3, 0.3, size=k) + np.repeat(rng.normal(0, 0.2, size=sizes.size), sizes)
        subgroup = [f"{c}-{rng.integers(0, 2)}" for c in cluster] if rng.random() < 0.3 else None
        out.append((yi, vi, cluster, subgroup, float(rng.choice([0.0, 0.5, 0.8, 0.95]))))
    return out


def _blocks(yi, vi, cluster, subgroup, rho) -> Blocks:
    y = np.asarray(yi, dtype=float)
    return Blocks(y, vcalc_blocks(vi, cluster, rho, subgroup), group_rows(cluster, y.size).rows)


@pytest.mark.parametrize("reml", [True, False])
def test_stacked_likelihood_is_the_one_fit_likelihood(reml):
    problems = _problems(1, 40)
    blocks = [_blocks(*p) for p in problems]
    rng = np.random.default_rng(2)
    tau2, omega2 = rng.uniform(0, 0.3, size=len(blocks)), rng.uniform(0, 0.3, size=len(blocks))
    tau2[::5] = 0.0
    got = np.empty((len(blocks), 11))
    for width in {b.eigen.lam.shape[1] for b in blocks}:  # a stack holds fits of one width
        same = np.array([i for i, b in enumerate(blocks) if b.eigen.lam.shape[1] == width])
        got[same] = stacked.evaluate(stacked.Stack.of([blocks[i].eigen for i in same]), tau2[same], omega2[same], reml)
    for b, t, o, row in zip(blocks, tau2, omega2, got):
        one = likelihood.evaluate(b, t, o, reml)
        expected = [one.mu, one.S, one.ll, *one.score, one.observed[0, 0], one.observed[0, 1], one.observed[1, 1],
                    one.info[0, 0], one.info[0, 1], one.info[1, 1]]
        scale = np.abs(expected).max()  # score and information pass through 0 at the optimum
        np.testing.assert_allclose(row, expected, rtol=SUMS_RTOL, atol=SUMS_RTOL * scale)


def test_a_stack_taken_apart_keeps_each_fits_numbers():
    blocks = [b for b in (_blocks(*p) for p in _problems(3, 40)) if b.eigen.lam.shape[1] == 3]  # fits of one width
    stack = stacked.Stack.of([b.eigen for b in blocks])
    tau2, omega2 = np.linspace(0, 0.2, len(blocks)), np.linspace(0.1, 0, len(blocks))
    whole = stacked.evaluate(stack, tau2, omega2, True)
    chosen = np.arange(0, len(blocks), 2)
    assert len(blocks) >= 6
    assert np.array_equal(stacked.evaluate(stack.take(chosen), tau2[chosen], omega2[chosen], True), whole[chosen])


def test_fits_made_together_are_bitwise_the_fits_made_alone():
    problems = _problems(4, 60)
    together = che_rve_many(problems)
    for p, fit in zip(problems, together):
        alone = che_rve(*p)
        assert fit == alone  # every exported field, exactly (the model fit is not compared)
        assert fit.model_fit.iterations == alone.model_fit.iterations


def test_pooled_fits_made_together_are_bitwise_the_fits_made_alone():
    problems = [(yi, vi, cluster, subgroup or ["main"] * len(cluster), rho)
                for yi, vi, cluster, subgroup, rho in _problems(5, 30)]
    problems.append(([0.1, 0.3, 0.2], [0.02, 0.03, 0.04], ["a", "b", "c"], None, 0.8))  # independent: rma
    problems.append(([0.1, 0.3], [0.02, 0.03], ["a", "a"], None, 0.8))  # one study: aggregated
    together = pooled.fit_many(problems, "REML", "z", 0.95)
    for (yi, vi, study, sample, rho), fit in zip(problems, together):
        assert fit == pooled.fit(yi, vi, study, sample, "REML", "z", 0.95, rho)
    assert [f.model for f in together[-2:]] == ["rma", "rma"]


def test_stacked_maximum_is_the_one_fit_maximum():
    for p in _problems(6, 30):
        b = _blocks(*p)
        tied = group_rows(p[2]).k == b.k
        theta, state, converged, _ = stacked.maximise_many([b], True, [tied])[0]
        one_theta, one_state, one_converged, _ = likelihood.maximise(b, True, tied)
        assert converged and one_converged
        np.testing.assert_allclose(theta, one_theta, rtol=FIT_RTOL, atol=1e-12)
        assert state.mu == pytest.approx(one_state.mu, rel=FIT_RTOL, abs=1e-12)
