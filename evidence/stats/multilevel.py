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

from .dependent import by_size, group_rows
from .validation import check_choice, check_level

METHODS = ("REML", "ML")
MAXITER = 500
TOL = 1e-12  # relative change of (tau2, omega2) at which scoring stops
SINGLETON_NOTE = ("every cluster has one effect: tau2 and omega2 are not separately "
                  "identifiable; their sum is estimated and split equally (metafor's "
                  "symmetric start gives the same split)")



@dataclass(frozen=True)
class SamplingSums:
    """Per cluster, sums of W_j = V_j⁻¹ (the sampling covariance alone): see :meth:`Blocks.sampling_sums`."""

    ones: np.ndarray  # 1'W_j1
    y: np.ndarray  # 1'W_jy_j
    trace: np.ndarray  # tr W_j
    ones_sq: np.ndarray  # (W_j1)'(W_j1)


class Blocks:
    """Clusters stacked by size, so each step is a few batched numpy calls."""

    def __init__(self, y: np.ndarray, blocks: list[np.ndarray], rows: tuple[np.ndarray, ...]):
        self.y, self.k = y, y.size
        self.groups = []  # (cluster numbers, row numbers (m, n), V (m, n, n), y (m, n))
        for members, idx in by_size(rows):
            n = idx.shape[1]
            vs = np.array([blocks[j] for j in members], dtype=float).reshape(len(members), n, n)
            self.groups.append((np.array(members), idx, vs, y[idx]))

    @functools.cached_property
    def eigen(self) -> Eigenbasis | None:
        """The blocks' eigenbasis (:class:`Eigenbasis`), computed when first asked (after :func:`rma_mv`
        has checked the blocks); None if some block is not positive definite."""
        return Eigenbasis.of(self)

    def sampling_sums(self) -> SamplingSums:
        """Per cluster (cluster order), the sums of W_j = V_j⁻¹ that the fixed-effect (GLS under V) mean,
        QE, the multilevel I² and metafor's aggregate need: from :class:`Eigenbasis`
        (V_j⁻¹ = Q_j diag(1/λ) Q_j') where it exists, else from V_j⁻¹ itself."""
        out = np.empty((4, sum(len(members) for members, _, _, _ in self.groups)))
        if self.eigen is not None:
            e = self.eigen
            inv = 1 / e.lam  # 0 in the padding
            iu = inv * e.u
            out[:, e.clusters] = np.einsum("pmi,pmi->pm", np.array((iu, iu, inv, iu * inv)),
                                           np.array((e.u, e.g, np.ones_like(inv), e.u)))
            return SamplingSums(*out)
        for members, _, vs, ys in self.groups:
            w = np.linalg.inv(vs)
            w1 = w.sum(axis=2)  # W_j1 (W symmetric)
            out[:, members] = (w1.sum(axis=1), (w1 * ys).sum(axis=1), np.trace(w, axis1=1, axis2=2),
                               (w1 * w1).sum(axis=1))
        return SamplingSums(*out)

    def weights(self, tau2: float, omega2: float) -> np.ndarray:
        """M⁻¹1 per row (data order) at (tau2, omega2), whose sum is S = 1'M⁻¹1."""
        e = self.eigen
        if e is not None:  # b/(1 + tau2·s) in the eigenbasis (:class:`Eigenbasis`)
            b = e.u / (e.lam + omega2)
            return e.to_rows(b / (1 + tau2 * np.einsum("mi,mi->m", b, e.u))[:, None])
        w = np.empty(self.k)
        for (_, idx, _, _), (minv, _) in zip(self.groups, self.marginal(tau2, omega2)):
            w[idx] = minv.sum(axis=2)
        return w

    def marginal(self, tau2: float, omega2: float):
        """Per group: M⁻¹, log|M| per cluster; None if some M_j is not PD.

        Clusters of one effect (most of them) are scalars: 1/m and 2·log(√m)
        are what LAPACK's 1×1 inverse and Cholesky factor give, without their
        per-call cost, which dominated this at the build's thousands of fits.
        """
        out = []
        for _, _, vs, _ in self.groups:
            n = vs.shape[1]
            if n == 1:
                m = vs[:, 0, 0] + tau2 + omega2
                if not np.all(m > 0):  # what the Cholesky factorisation of a 1×1 matrix checks (NaN fails too)
                    return None
                out.append(((1 / m)[:, None, None], 2 * np.log(np.sqrt(m))))
                continue
            m = vs + tau2 + omega2 * np.eye(n)
            try:
                chol = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                return None
            logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
            out.append((np.linalg.inv(m), logdet))
        return out


class Eigenbasis:
    """Each cluster's sampling block in its own eigenbasis, V_j = Q_j Λ_j Q_j', computed once per fit.

    Then, in the coordinates of Q_j, A_j = V_j + omega2·I is diagonal, d = 1/(λ + omega2), and
    M_j = A_j + tau2·11' is a rank-one update of it. With u = Q_j'1, b = d∘u (= A_j⁻¹1 in these
    coordinates) and s_j = u'b = 1'A_j⁻¹1, Sherman–Morrison and the matrix determinant lemma give
    (Harville 1997, Matrix Algebra From a Statistician's Perspective, ch. 18: sums of matrices)

        Q_j'M_j⁻¹Q_j = diag(d) − c_j·b b',  c_j = tau2/(1 + tau2·s_j),
        log|M_j| = Σ log(λ + omega2) + log(1 + tau2·s_j),

    so every quantity :func:`evaluate` needs is an elementwise product summed over a cluster's
    coordinates: no matrix is factorised or inverted per evaluation, which is what the build's
    thousands of fits paid for (numpy's per-call cost for each cluster size, about nine times a fit).
    Clusters of every size share one (clusters × largest size) array; the padding has λ = +inf
    (so d = 0) and u = Q'y = 0, and adds exactly 0 to every sum. Quadratic forms are invariant under
    the orthogonal Q_j: p'M_j⁻¹q = p̂'(Q_j'M_j⁻¹Q_j)q̂ with p̂ = Q_j'p.

    Used when every V_j is positive definite (every eigenvalue > 0; always so for
    :func:`dependent.vcalc_blocks` with rho < 1): then every M_j is, for all tau2, omega2 ≥ 0.
    """

    def __init__(self, lam: np.ndarray, u: np.ndarray, g: np.ndarray, bases: list, k: int, clusters: np.ndarray):
        self.lam = lam  # (clusters, n) eigenvalues, +inf in the padding
        self.lam_flat = lam[np.isfinite(lam)]  # the k eigenvalues, for log|A|
        self.u, self.g = u, g  # Q'1 and Q'y, 0 in the padding
        self.bases = bases  # per cluster size: (its clusters' rows in these arrays, data rows (m, n), Q (m, n, n))
        self.k = k
        self.clusters = clusters  # the cluster number of each row of these arrays

    @classmethod
    def of(cls, b: Blocks) -> Eigenbasis | None:
        """The eigenbasis of ``b``'s blocks; None if some block is not positive definite."""
        width = b.groups[-1][1].shape[1]
        m = sum(idx.shape[0] for _, idx, _, _ in b.groups)
        lam, u, g = np.full((m, width), np.inf), np.zeros((m, width)), np.zeros((m, width))
        bases, start = [], 0
        for _, idx, vs, ys in b.groups:
            mg, n = idx.shape
            here = slice(start, start + mg)
            if n == 1:  # a 1×1 block is its own eigenvalue, with eigenvector 1
                lam[here, 0], u[here, 0], g[here, 0] = vs[:, 0, 0], 1.0, ys[:, 0]
                q = None
            else:
                lam[here, :n], q = np.linalg.eigh(vs)
                u[here, :n] = q.sum(axis=1)  # Q'1
                g[here, :n] = np.einsum("mij,mi->mj", q, ys)  # Q'y
            bases.append((here, idx, q))
            start += mg
        if not np.all(lam[:, 0] > 0):  # eigh sorts ascending: the first is each block's smallest
            return None
        return cls(lam, u, g, bases, b.k, np.concatenate([members for members, _, _, _ in b.groups]))

    def to_rows(self, x: np.ndarray) -> np.ndarray:
        """Q_j x̂_j for every cluster, in data order (the inverse of the change of coordinates)."""
        out = np.empty(self.k)
        for here, idx, q in self.bases:
            n = idx.shape[1]
            out[idx] = x[here, :1] if q is None else np.einsum("mij,mj->mi", q, x[here, :n])
        return out


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

    The per-cluster terms come from :class:`Eigenbasis` where the blocks are positive definite, else
    from M⁻¹ itself (:func:`_direct_terms`); the two agree to rounding."""
    terms = _eigen_terms(b.eigen, tau2, omega2) if b.eigen is not None else _direct_terms(b, tau2, omega2)
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


def _eigen_terms(e: Eigenbasis, tau2: float, omega2: float):
    """mu, S, log|M|, 1'M_j⁻¹1 and the per-cluster terms of :func:`evaluate` in each cluster's
    eigenbasis (formulas in :class:`Eigenbasis`; vectors in those coordinates, p'M⁻¹q = Σd·p·q − c·(b'p)(b'q)).

    The per-cluster dot products are taken all at once (one einsum over stacked vectors): numpy's
    per-call cost, not the arithmetic, is what a fit of a few hundred small clusters pays."""
    d = 1 / (e.lam + omega2)  # 0 in the padding
    b = d * e.u  # A⁻¹1
    s = np.einsum("mi,mi->m", b, e.u)  # 1'A⁻¹1
    den = 1 + tau2 * s
    c = tau2 / den
    a = s / den  # 1'M⁻¹1 = s − c·s²
    w = b / den[:, None]  # M⁻¹1 = b − c·s·b
    S = float(a.sum())
    mu = float(np.einsum("mi,mi->", w, e.g)) / S
    logdet = float(np.log(e.lam_flat + omega2).sum() + np.log(den).sum())
    resid = e.g - mu * e.u  # y − mu
    r = d * resid - (c * np.einsum("mi,mi->m", b, resid))[:, None] * b  # M⁻¹(y − mu)
    x = np.array((w, r, b, d, e.u, resid))
    W, R, B, D, U, E = range(6)  # noqa: N806 (the rows of x, named as the vectors)
    dot = np.einsum("pmi,qmi->pqm", x, x)  # dot[p, q]: x_p'x_q per cluster
    dw, dr, db = np.einsum("pmi,pmi->pm", x[:3] * d, x[:3])  # x_p'diag(d)x_p for w, r, b
    per = (dot[W, W],  # w'w
           d.sum(axis=1) - c * dot[B, B],  # tr M⁻¹
           dot[D, D] - 2 * c * db + c * c * dot[B, B] ** 2,  # ‖M⁻¹‖²_F = Σd² − 2c·Σd·b² + c²(b'b)²
           dw - c * dot[B, W] ** 2,  # w'M⁻¹w
           dot[U, R],  # 1'r
           dot[R, R],  # r'r
           dot[W, R],  # w'r
           dr - c * dot[B, R] ** 2,  # r'M⁻¹r
           dot[E, R])  # (y − mu)'r
    return mu, S, logdet, a, per, lambda: e.to_rows(w)


def _direct_terms(b: Blocks, tau2: float, omega2: float):
    """What :func:`_eigen_terms` gives, from M⁻¹ of each block (:meth:`Blocks.marginal`); None if some
    M_j is not positive definite (possible only when some V_j is not)."""
    inv = b.marginal(tau2, omega2)
    if inv is None:
        return None
    # Per cluster first (one row per group of equal-size clusters), summed over all clusters once at the end:
    # numpy's per-call cost, not the arithmetic, is what a fit of a few hundred small clusters pays.
    w = np.empty(b.k)
    ws = []
    for (_, idx, _, _), (minv, _) in zip(b.groups, inv):
        wj = minv.sum(axis=2)  # M_j⁻¹1 (M⁻¹ symmetric)
        w[idx] = wj
        ws.append(wj)
    a = np.concatenate([wj.sum(axis=1) for wj in ws])  # 1'M_j⁻¹1
    S = float(a.sum())
    mu = float(np.concatenate([(wj * ys).sum(axis=1) for wj, (_, _, _, ys) in zip(ws, b.groups)]).sum()) / S
    logdet = float(np.concatenate([ld for _, ld in inv]).sum())
    per = []  # per cluster: w'w, tr M⁻¹, ‖M⁻¹‖², w'M⁻¹w, c = 1'r, r'r, w'r, r'M⁻¹r, e'r
    for (_, _, _, ys), (minv, _), wj in zip(b.groups, inv, ws):
        if ys.shape[1] == 1:
            per.append(_scalar_cluster_terms(minv[:, 0, 0], ys[:, 0] - mu))
            continue
        e = ys - mu
        r = np.einsum("mij,mj->mi", minv, e)
        wr = np.array((wj, r))
        dots = np.einsum("pmi,qmi->pqm", wr, wr)  # w'w, w'r, r'r
        forms = np.einsum("pmi,mij,pmj->pm", wr, minv, wr)  # w'M⁻¹w, r'M⁻¹r
        per.append(np.array((dots[0, 0], np.trace(minv, axis1=1, axis2=2), np.einsum("mij,mij->m", minv, minv),
                             forms[0], r.sum(axis=1), dots[1, 1], dots[0, 1], forms[1],
                             np.einsum("mi,mi->m", e, r))))
    return mu, S, logdet, a, np.concatenate(per, axis=1), lambda: w


def _scalar_cluster_terms(q: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The per-cluster terms of :func:`evaluate` for clusters of one effect (q = 1/m, e = y − mu), as plain
    products: a sum over one term is that term, so each value is bitwise what the einsums give (the
    three-factor forms multiplied in the einsums' left-to-right order), at a third of the numpy calls."""
    r = q * e
    qq = q * q
    return np.array((qq, q, qq, qq * q, r, r * r, q * r, r * q * r, e * r))


def _start(b: Blocks) -> float:
    """metafor's start: total = max(0.002, var(y − mu_FE) − 1/mean(1/diag V)),
    half of it for each component (``R/rma.mv.r``); mu_FE the GLS mean under V alone."""
    v_diag = np.empty(b.k)
    for _, idx, vs, _ in b.groups:
        v_diag[idx] = np.diagonal(vs, axis1=1, axis2=2)
    sums = b.sampling_sums()
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
    where V is singular). In the eigenbasis (:class:`Eigenbasis`): Σ (Q'y − mu_FE·Q'1)²/λ."""
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

