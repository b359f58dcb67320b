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
RSS = (y − mu)'M⁻¹(y − mu) (:mod:`.likelihood`). metafor maximises them with nlminb over
log(sigma2); here projected Newton steps on (tau2, omega2) ≥ 0 (observed
information; Fisher scoring where that is not positive definite; Harville
1977, JASA 72:320-338), exploiting the block structure, run to the optimum
itself (see :func:`rma_mv`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .clusters import Blocks
from .dependent import Clusters, group_rows
from .likelihood import MAXITER, maximise
from .stacked import maximise_many
from .validation import check_choice, check_level

METHODS = ("REML", "ML")
SINGLETON_NOTE = ("every cluster has one effect: tau2 and omega2 are not separately "
                  "identifiable; their sum is estimated and split equally (metafor's "
                  "symmetric start gives the same split)")


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
    return rma_mv_many([(yi, V_or_blocks, cluster)], method, level)[0]


def rma_mv_many(problems: list[tuple], method: str = "REML", level: float = 0.95) -> list[MultilevelFit]:
    """``[rma_mv(yi, V_or_blocks, cluster, method, level) for yi, V_or_blocks, cluster in problems]``, the
    likelihood maximised for all of them together (:func:`.stacked.maximise_many`); each fit is the one it
    would be alone."""
    check_choice("method", method, METHODS)
    check_level(level)
    return rma_mv_blocks([_checked(*problem) for problem in problems], method, level)


def rma_mv_blocks(problems: list[tuple], method: str = "REML", level: float = 0.95) -> list[MultilevelFit]:
    """:func:`rma_mv_many` of ``(y, blocks, groups)``: finite effects, their covariance blocks (as
    :func:`dependent.vcalc_blocks` gives them) and ``group_rows(cluster)`` of at least 2 clusters, for a caller
    that has made them (the blocks are still checked)."""
    check_choice("method", method, METHODS)
    check_level(level)
    prepared = [_stacked(*problem) for problem in problems]
    reml = method == "REML"
    with_basis = [i for i, (b, _) in enumerate(prepared) if b.eigen is not None]
    found = dict(zip(with_basis, maximise_many([prepared[i][0] for i in with_basis], reml,
                                               [prepared[i][1].k == prepared[i][0].k for i in with_basis])))
    return [_finish(b, groups, method, level, found.get(i) or maximise(b, reml, groups.k == b.k))
            for i, (b, groups) in enumerate(prepared)]


def _checked(yi, V_or_blocks, cluster) -> tuple[np.ndarray, list[np.ndarray], Clusters]:
    """One fit's effects, covariance blocks and clusters, checked."""
    y = np.asarray(yi, dtype=float).reshape(-1)
    if not np.all(np.isfinite(y)):
        raise ValueError("yi contains a non-finite value (NaN or inf)")
    groups = group_rows(cluster, y.size)
    if groups.k < 2:
        raise ValueError(f"a multilevel model needs at least 2 clusters, got {groups.k}")
    return y, _as_blocks(V_or_blocks, groups, y.size), groups


def _stacked(y: np.ndarray, blocks: list[np.ndarray], groups: Clusters) -> tuple[Blocks, Clusters]:
    """One fit's blocks stacked by cluster size, each checked."""
    b = Blocks(y, blocks, groups.rows)
    if not all(_valid(vs) for _, _, vs, _ in b.groups):  # checked on the blocks as stacked for the fit
        _name_invalid(blocks, groups)
    return b, groups


def _finish(b: Blocks, groups: Clusters, method: str, level: float, maximised: tuple) -> MultilevelFit:
    theta, state, converged, iterations = maximised
    notes: list[str] = []
    tied = groups.k == b.k
    if tied:
        notes.append(SINGLETON_NOTE)
    if not converged:
        notes.append(f"the likelihood maximisation did not converge in {MAXITER} iterations; last values reported")
    for name, value in zip(("tau2", "omega2"), theta):
        if value == 0 and not tied:
            notes.append(f"{name} = 0: the maximum is on the boundary (metafor reports a tiny positive value)")
    se = 1 / math.sqrt(state.S)
    z = state.mu / se
    crit = float(special.ndtri(0.5 + level / 2))
    qe, qep = _qe(b)
    weights = tuple((100 * state.w / state.w.sum()).tolist())
    return MultilevelFit(method, float(level), state.mu, se, z, float(2 * special.ndtr(-abs(z))),
                         state.mu - crit * se, state.mu + crit * se, float(theta[0]), float(theta[1]),
                         groups.k, b.k, qe, qep, state.ll, converged, weights, tuple(notes),
                         iterations, groups.ids, b)
