"""The sampling covariance of a multilevel model, cluster by cluster, and the per-cluster terms of its likelihood.

:class:`Blocks` stacks the clusters' blocks V_j by size, so each step is a few batched numpy calls;
:class:`Eigenbasis` holds each block in its own eigenbasis, in which the marginal covariance
M_j = V_j + tau2·J + omega2·I of :mod:`.multilevel` is a rank-one update of a diagonal matrix;
:mod:`.stacked` evaluates the likelihood in the eigenbases (the build's fits); :func:`direct_terms` gives
what :func:`.likelihood.evaluate` sums from M_j⁻¹ itself (the fits whose blocks have no eigenbasis, and the
tests' independent check of the eigenbasis formulas).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .dependent import by_size


@dataclass(frozen=True)
class SamplingSums:
    """Per cluster, sums of W_j = V_j⁻¹ (the sampling covariance alone): see :attr:`Blocks.sampling`."""

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
        """The blocks' eigenbasis (:class:`Eigenbasis`), computed when first asked (after :func:`.multilevel.rma_mv`
        has checked the blocks); None if some block is not positive definite."""
        return Eigenbasis.of(self)

    @functools.cached_property
    def sampling(self) -> SamplingSums:
        """Per cluster (cluster order), the sums of W_j = V_j⁻¹ that the fixed-effect (GLS under V) mean,
        QE, the multilevel I² and metafor's aggregate need: from :class:`Eigenbasis`
        (V_j⁻¹ = Q_j diag(1/λ) Q_j') where it exists, else from V_j⁻¹ itself. Made once per fit: the
        start and the pooled parameter's aggregates and I² read the same sums."""
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

    so every quantity of the likelihood's steps (:func:`.stacked.evaluate`) is an elementwise product
    summed over a cluster's coordinates: no matrix is factorised or inverted per evaluation, which is what the build's
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


def direct_terms(b: Blocks, tau2: float, omega2: float):
    """mu, S, log|M|, 1'M_j⁻¹1 and the per-cluster terms of :func:`.likelihood.evaluate` (w'w, tr M⁻¹, ‖M⁻¹‖²_F,
    w'M⁻¹w, 1'r, r'r, w'r, r'M⁻¹r, (y − mu)'r with w = M⁻¹1, r = M⁻¹(y − mu)), from M⁻¹ of each block
    (:meth:`Blocks.marginal`); None if some M_j is not positive definite (possible only when some V_j is not)."""
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
    """The per-cluster terms of :func:`.likelihood.evaluate` for clusters of one effect (q = 1/m, e = y − mu), as plain
    products: a sum over one term is that term, so each value is bitwise what the einsums give (the
    three-factor forms multiplied in the einsums' left-to-right order), at a third of the numpy calls."""
    r = q * e
    qq = q * q
    return np.array((qq, q, qq, qq * q, r, r * r, q * r, r * q * r, e * r))
