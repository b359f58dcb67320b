"""Two-level (multilevel) random-effects model for dependent effect sizes.

metafor ``rma.mv(yi, V, random = ~ 1 | cluster/es)`` with ``es`` a unique id
per row: y = 1·mu + u + w + e, u one random effect per cluster (variance
tau2 = metafor's sigma2[1]), w one per row (omega2 = sigma2[2]), e ~ N(0, V)
with V block-diagonal by cluster. Per cluster the marginal covariance is
M_j = V_j + tau2·J + omega2·I (Konstantopoulos 2011, Res. Synth. Methods
2:61-76; Pustejovsky & Tipton 2022, Prev. Sci. 23:425-438).

Formulas follow metafor 3.8-1 ``R/rma.mv.r`` and ``R/misc.func.hidden.r``
(``.ll.rma.mv``): the ML log-likelihood −½k·log 2π − ½log|M| − ½RSS and the
REML one −½(k−1)·log 2π + ½log|X'X| − ½log|M| − ½log|X'M⁻¹X| − ½RSS with
RSS = (y − mu)'M⁻¹(y − mu). metafor maximises them with nlminb over
log(sigma2); here projected Newton steps on (tau2, omega2) ≥ 0 (observed
information; Fisher scoring where that is not positive definite; Harville
1977, JASA 72:320-338), exploiting the block structure, run to the optimum
itself (see :func:`rma_mv`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .clusters import Blocks, direct_terms, eigen_terms
from .dependent import group_rows
from .validation import check_choice, check_level

METHODS = ("REML", "ML")
MAXITER = 500
TOL = 1e-12  # relative change of (tau2, omega2) at which scoring stops
SINGLETON_NOTE = ("every cluster has one effect: tau2 and omega2 are not separately "
                  "identifiable; their sum is estimated and split equally (metafor's "
                  "symmetric start gives the same split)")


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

    The per-cluster terms come from :class:`.clusters.Eigenbasis` where the blocks are positive definite, else
    from M⁻¹ itself (:func:`.clusters.direct_terms`); the two agree to rounding."""
    terms = eigen_terms(b.eigen, tau2, omega2) if b.eigen is not None else direct_terms(b, tau2, omega2)
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


def _start(b: Blocks) -> float:
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


def _direction(state: State, theta: np.ndarray, tied: bool) -> np.ndarray:
    """Newton step with the observed information where it is positive definite
    (quadratic convergence near the optimum), else the Fisher-scoring step.

    Two unknowns: the 2×2 algebra is written out (numpy's linear algebra costs
    more per call than this whole step)."""
    g0, g1 = state.score.tolist()
    if tied:
        curv = state.observed.sum()
        return np.full(2, (g0 + g1) / (curv if curv > 0 else state.info.sum()))
    free0 = not (theta[0] <= 0 and g0 <= 0)
    free1 = not (theta[1] <= 0 and g1 <= 0)
    if not (free0 or free1):
        return np.zeros(2)
    for matrix in (state.observed, state.info):
        (a11, a12), (_, a22) = matrix.tolist()
        if free0 and free1:
            if _cholesky_ok(a11, a12, a22):
                det = a11 * a22 - a12 * a12
                return np.array([(a22 * g0 - a12 * g1) / det, (a11 * g1 - a12 * g0) / det])
        elif free0 and a11 > 0:
            return np.array([g0 / a11, 0.0])
        elif free1 and a22 > 0:
            return np.array([0.0, g1 / a22])
    tiny = np.finfo(float).tiny
    i11, i22 = state.info[0, 0], state.info[1, 1]
    return np.array([g0 / max(i11, tiny) if free0 else 0.0, g1 / max(i22, tiny) if free1 else 0.0])


def maximise(b: Blocks, reml: bool, tied: bool) -> tuple[np.ndarray, State, bool, int]:
    """Projected Newton / Fisher scoring with step halving on (tau2, omega2) ≥ 0.

    A component at 0 whose score is ≤ 0 stays there (the Kuhn-Tucker
    condition of a boundary maximum); ``tied`` fits one variance (tau2 =
    omega2, used when every cluster has one effect and only the sum counts).
    """
    theta = np.full(2, _start(b) / 2)
    state = evaluate(b, *theta, reml)
    for it in range(1, MAXITER + 1):
        step = _direction(state, theta, tied)
        new, new_state = theta, state
        for _ in range(60):
            cand = np.maximum(theta + step, 0.0)
            cand_state = evaluate(b, *cand, reml)
            if cand_state is not None and cand_state.ll >= state.ll - 1e-12 * abs(state.ll):
                new, new_state = cand, cand_state
                break
            step = step / 2
        change = np.abs(new - theta).max()
        theta, state = new, new_state
        if change <= TOL * max(1e-8, theta.max()):
            return theta, state, True, it
    return theta, state, False, MAXITER


@dataclass(frozen=True)
class MultilevelFit:
    """Result of :func:`rma_mv` (metafor names: tau2 = sigma2[1], omega2 = sigma2[2]).

    ``weights``: each row's share (percent, summing to 100) of the GLS
    estimate, 100·w_i/Σw with w = M⁻¹1 — the estimate is Σw_i y_i/Σw_i, so
    this is what a forest plot needs. It differs from metafor's
    ``weights()``, which reports the diagonal of M⁻¹ (as a percentage).
    A row's weight can be negative when rho is high and variances differ.
    """

    method: str
    level: float
    estimate: float
    se: float
    stat: float
    pval: float
    ci_lb: float
    ci_ub: float
    tau2: float
    omega2: float
    k: int
    k_effects: int
    QE: float | None
    QEp: float | None
    ll: float
    converged: bool
    weights: tuple[float, ...]
    notes: tuple[str, ...] = ()
    iterations: int = 0
    cluster_ids: tuple = ()
    data: Blocks | None = field(default=None, repr=False, compare=False)


def _as_blocks(v_or_blocks, groups, k) -> list[np.ndarray]:
    if isinstance(v_or_blocks, (list, tuple)):
        blocks = [np.asarray(x, dtype=float) for x in v_or_blocks]
        if len(blocks) != groups.k:
            raise ValueError(f"{len(blocks)} covariance blocks given for {groups.k} clusters")
        for j, (blk, rows) in enumerate(zip(blocks, groups.rows)):
            if blk.shape != (rows.size, rows.size):
                raise ValueError(f"block {j + 1} (cluster {groups.ids[j]!r}) has shape {blk.shape}, "
                                 f"expected {(rows.size, rows.size)}")
    else:
        V = np.asarray(v_or_blocks, dtype=float)
        if V.shape != (k, k):
            raise ValueError(f"V has shape {V.shape}, expected {(k, k)}")
        label = np.empty(k, dtype=np.intp)
        for j, rows in enumerate(groups.rows):
            label[rows] = j
        if np.any((label[:, None] != label[None, :]) & (V != 0)):
            raise ValueError("V has a non-zero covariance between effects of different clusters")
        blocks = [V[np.ix_(r, r)] for r in groups.rows]
    return blocks


def _valid(stacked: np.ndarray) -> bool:
    """Every block finite, symmetric (relative 1e-12) and with variances > 0 (blocks of one size, stacked)."""
    diagonal = np.diagonal(stacked, axis1=1, axis2=2)
    transposed = np.swapaxes(stacked, 1, 2)  # np.isclose(rtol=1e-12, atol=0) for finite values, at less cost
    return bool(np.all(np.isfinite(stacked)) and np.all(np.abs(stacked - transposed) <= 1e-12 * np.abs(transposed))
                and np.all(diagonal > 0))


def _name_invalid(blocks, groups) -> None:
    """Raise for the first invalid block, naming its cluster."""
    for j, blk in enumerate(blocks):
        if not np.all(np.isfinite(blk)) or not np.allclose(blk, blk.T, rtol=1e-12, atol=0):
            raise ValueError(f"covariance block of cluster {groups.ids[j]!r} is not a finite symmetric matrix")
        if np.any(np.diag(blk) <= 0):
            raise ValueError(f"covariance block of cluster {groups.ids[j]!r} has a variance <= 0")


def _qe(b: Blocks):
    """metafor's QE for rma.mv: (y − mu_FE)'V⁻¹(y − mu_FE), mu_FE the GLS mean
    under V alone; chi²(k − 1). None when V is not positive definite (metafor: NA
    where V is singular). In the eigenbasis (:class:`.clusters.Eigenbasis`): Σ (Q'y − mu_FE·Q'1)²/λ."""
    e = b.eigen
    if e is None:
        return None, None
    inv = 1 / e.lam  # 0 in the padding
    mu = float(np.einsum("mi,mi->", inv * e.u, e.g)) / float(np.einsum("mi,mi->", inv * e.u, e.u))
    resid = e.g - mu * e.u
    qe = max(0.0, float(np.einsum("mi,mi->", inv * resid, resid)))
    return qe, float(special.chdtrc(b.k - 1, qe)) if b.k > 1 else None


def rma_mv(yi, V_or_blocks, cluster, method: str = "REML", level: float = 0.95) -> MultilevelFit:
    """Fit ``rma.mv(yi, V, random = ~ 1 | cluster/es, method=method)``.

    ``V_or_blocks`` is the k×k sampling covariance (zero between clusters) or
    the list of per-cluster blocks of :func:`dependent.vcalc_blocks`.
    mu = Σw y/Σw with w = M⁻¹1, se = 1/sqrt(1'M⁻¹1) (model-based), z-test
    and normal CI (metafor's default ``test="z"``).

    The variance components are the true maximiser of the (restricted)
    likelihood over tau2, omega2 ≥ 0. Where it is interior this equals
    metafor's nlminb answer to its optimiser tolerance; where it is on the
    boundary we report exactly 0 and metafor a tiny positive number (its
    log parameterisation cannot reach 0).
    """
    check_choice("method", method, METHODS)
    check_level(level)
    y = np.asarray(yi, dtype=float).reshape(-1)
    if not np.all(np.isfinite(y)):
        raise ValueError("yi contains a non-finite value (NaN or inf)")
    groups = group_rows(cluster, y.size)
    if groups.k < 2:
        raise ValueError(f"a multilevel model needs at least 2 clusters, got {groups.k}")
    blocks = _as_blocks(V_or_blocks, groups, y.size)
    b = Blocks(y, blocks, groups.rows)
    if not all(_valid(vs) for _, _, vs, _ in b.groups):  # checked on the blocks as stacked for the fit
        _name_invalid(blocks, groups)
    notes: list[str] = []
    tied = groups.k == y.size
    if tied:
        notes.append(SINGLETON_NOTE)
    theta, state, converged, iterations = maximise(b, method == "REML", tied)
    if not converged:
        notes.append(f"the likelihood maximisation did not converge in {MAXITER} iterations; last values reported")
    for name, value in zip(("tau2", "omega2"), theta):
        if value == 0 and not tied:
            notes.append(f"{name} = 0: the maximum is on the boundary (metafor reports a tiny positive value)")
    se = 1 / math.sqrt(state.S)
    z = state.mu / se
    crit = float(special.ndtri(0.5 + level / 2))
    qe, qep = _qe(b)
    weights = tuple(float(x) for x in 100 * state.w / state.w.sum())
    return MultilevelFit(method, float(level), state.mu, se, z, float(2 * special.ndtr(-abs(z))),
                         state.mu - crit * se, state.mu + crit * se, float(theta[0]), float(theta[1]),
                         groups.k, y.size, qe, qep, state.ll, converged, weights, tuple(notes),
                         iterations, groups.ids, b)

