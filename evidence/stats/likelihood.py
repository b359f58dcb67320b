"""The (restricted) likelihood of the two-level model of :mod:`.multilevel` and its maximisation, one fit at a time.

metafor 3.8-1 ``.ll.rma.mv`` (``R/misc.func.hidden.r``): the ML log-likelihood −½k·log 2π − ½log|M| − ½RSS
and the REML one −½(k−1)·log 2π + ½log|X'X| − ½log|M| − ½log|X'M⁻¹X| − ½RSS with RSS = (y − mu)'M⁻¹(y − mu);
score and information after Harville (1977, JASA 72:320-338). metafor maximises with nlminb over
log(sigma2); here projected Newton steps on (tau2, omega2) ≥ 0 (observed information; Fisher scoring
where that is not positive definite), run to the optimum itself. :mod:`.stacked` runs the same steps for
many fits at once, in the clusters' eigenbases.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .clusters import Blocks, direct_terms

MAXITER = 500
TOL = 1e-12  # relative change of (tau2, omega2) at which the steps stop
#: A candidate is kept when its log-likelihood is at least this much (relative) below the current one's.
LL_SLACK = 1e-12
HALVINGS = 60


@dataclass(frozen=True)
class State:
    """Everything at one (tau2, omega2): estimate, log-likelihood, score, information."""

    mu: float
    S: float  # 1'M⁻¹1
    ll: float
    score: np.ndarray
    info: np.ndarray  # expected information
    observed: np.ndarray  # observed information (minus the Hessian)
    rows_w: Callable[[], np.ndarray] = field(repr=False, compare=False)

    @functools.cached_property
    def w(self) -> np.ndarray:
        """M⁻¹1 per row (data order); computed when asked (of the final state only, in a fit)."""
        return self.rows_w()


def evaluate(b: Blocks, tau2: float, omega2: float, reml: bool) -> State | None:
    """Log-likelihood, score, expected and observed information of (tau2, omega2)
    (Harville 1977: ∂ℓ/∂θ_r = −½tr(P D_r) + ½r'D_r r with r = Py,
    I_rs = ½tr(P D_r P D_s), observed r'D_r P D_s r − I_rs; ML (profiled over
    mu) with M⁻¹ in place of P in the traces, r = M⁻¹(y − mu) and the same
    observed term, since ∂r/∂θ_s = −P D_s r in both; D_tau = blockdiag(J),
    D_omega = I).

    The per-cluster terms come from M⁻¹ itself (:func:`.clusters.direct_terms`). :func:`.stacked.evaluate`
    computes the same quantities in each cluster's eigenbasis, for many fits at once: the build fits
    every model whose blocks have one that way, and this function the others (and checks it in tests)."""
    terms = direct_terms(b, tau2, omega2)
    if terms is None:
        return None
    mu, S, logdet, a, (ww, trm, fro, wmw, c, rr, wr, rmr, er), rows_w = terms
    sums = np.array((a, a * a, a ** 3, ww, a * ww, trm, fro, wmw, c * c, rr,
                     c * c * a, c * a, c * wr, wr, rmr, er)).sum(axis=1).tolist()
    sa, sa2, sa3, sww, saww, strm, sfro, swmw, q_t, q_o, cca, ca, cwr, swr, rmr, rss = sums
    if reml:
        ll = (-0.5 * (b.k - 1) * math.log(2 * math.pi) + 0.5 * math.log(b.k)
              - 0.5 * logdet - 0.5 * math.log(S) - 0.5 * rss)
        score = 0.5 * np.array([-(sa - sa2 / S) + q_t, -(strm - sww / S) + q_o])
        i_tt = sa2 - 2 * sa3 / S + sa2 ** 2 / S ** 2
        i_to = sww - 2 * saww / S + sa2 * sww / S ** 2
        i_oo = sfro - 2 * swmw / S + sww ** 2 / S ** 2
    else:
        ll = -0.5 * b.k * math.log(2 * math.pi) - 0.5 * logdet - 0.5 * rss
        score = 0.5 * np.array([-sa + q_t, -strm + q_o])
        i_tt, i_to, i_oo = sa2, sww, sfro
    info = 0.5 * np.array([[i_tt, i_to], [i_to, i_oo]])
    # r'D_r P D_s r, P = M⁻¹ − ww'/S
    q_tt, q_to, q_oo = cca - ca * ca / S, cwr - ca * swr / S, rmr - swr * swr / S
    observed = np.array([[q_tt, q_to], [q_to, q_oo]]) - info
    return State(mu, S, ll, score, info, observed, rows_w)


def start(b: Blocks) -> float:
    """metafor's start: total = max(0.002, var(y − mu_FE) − 1/mean(1/diag V)),
    half of it for each component (``R/rma.mv.r``); mu_FE the GLS mean under V alone."""
    v_diag = np.empty(b.k)
    for _, idx, vs, _ in b.groups:
        v_diag[idx] = np.diagonal(vs, axis1=1, axis2=2)
    sums = b.sampling
    mu = float(sums.y.sum()) / float(sums.ones.sum())
    resid = b.y - mu
    var = float(np.var(resid, ddof=1)) if b.k > 1 else 0.0
    return max(0.002, var - 1 / float(np.mean(1 / v_diag)))


def _cholesky_ok(a11: float, a12: float, a22: float) -> bool:
    """Whether [[a11, a12], [a12, a22]] is positive definite, by the steps of LAPACK's Cholesky (dpotrf)."""
    if not a11 > 0:
        return False
    l21 = a12 / math.sqrt(a11)
    return a22 - l21 * l21 > 0


def direction(score: tuple[float, float], observed: tuple[float, float, float],
              info: tuple[float, float, float], theta: tuple[float, float], tied: bool) -> tuple[float, float]:
    """Newton step with the observed information where it is positive definite
    (quadratic convergence near the optimum), else the Fisher-scoring step.

    The information matrices come as their three distinct entries (a11, a12, a22). Two unknowns: the
    2×2 algebra is written out on Python floats (numpy's per-call cost is more than this whole step)."""
    g0, g1 = score
    if tied:
        o11, o12, o22 = observed
        curv = o11 + o12 + o12 + o22  # the sum of the 2×2 matrix, in numpy's order
        i11, i12, i22 = info
        step = (g0 + g1) / (curv if curv > 0 else i11 + i12 + i12 + i22)
        return step, step
    free0 = not (theta[0] <= 0 and g0 <= 0)
    free1 = not (theta[1] <= 0 and g1 <= 0)
    if not (free0 or free1):
        return 0.0, 0.0
    for a11, a12, a22 in (observed, info):
        if free0 and free1:
            if _cholesky_ok(a11, a12, a22):
                det = a11 * a22 - a12 * a12
                return (a22 * g0 - a12 * g1) / det, (a11 * g1 - a12 * g0) / det
        elif free0 and a11 > 0:
            return g0 / a11, 0.0
        elif free1 and a22 > 0:
            return 0.0, g1 / a22
    i11, _, i22 = info
    return (g0 / max(i11, sys.float_info.min) if free0 else 0.0,
            g1 / max(i22, sys.float_info.min) if free1 else 0.0)


def _entries(x: np.ndarray) -> tuple:
    """A score's two entries, or a symmetric 2×2 matrix's three distinct ones (a11, a12, a22)."""
    return tuple(x.tolist()) if x.ndim == 1 else (float(x[0, 0]), float(x[0, 1]), float(x[1, 1]))


def maximise(b: Blocks, reml: bool, tied: bool) -> tuple[np.ndarray, State, bool, int]:
    """Projected Newton / Fisher scoring with step halving on (tau2, omega2) ≥ 0.

    A component at 0 whose score is ≤ 0 stays there (the Kuhn-Tucker
    condition of a boundary maximum); ``tied`` fits one variance (tau2 =
    omega2, used when every cluster has one effect and only the sum counts).
    """
    theta = np.full(2, start(b) / 2)
    state = evaluate(b, *theta, reml)
    for it in range(1, MAXITER + 1):
        step = np.array(direction(_entries(state.score), _entries(state.observed), _entries(state.info),
                                  tuple(theta.tolist()), tied))
        new, new_state = theta, state
        for _ in range(HALVINGS):
            cand = np.maximum(theta + step, 0.0)
            cand_state = evaluate(b, *cand, reml)
            if cand_state is not None and cand_state.ll >= state.ll - LL_SLACK * abs(state.ll):
                new, new_state = cand, cand_state
                break
            step = step / 2
        change = np.abs(new - theta).max()
        theta, state = new, new_state
        if change <= TOL * max(1e-8, theta.max()):
            return theta, state, True, it
    return theta, state, False, MAXITER
