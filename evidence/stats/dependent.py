"""Dependent effect sizes: the working covariance and per-cluster aggregation.

Several effect sizes from one study (outcomes, time points, arms sharing a
control) have correlated sampling errors. Where the correlation is not
reported, the usual working assumption is a constant correlation rho
between the effects of one cluster (Pustejovsky & Tipton 2022, Prev. Sci.
23:425-438, the "correlated and hierarchical effects" working model).

Sources: metafor 3.8-1 ``R/vcalc.r`` (``vcalc(vi, cluster, subgroup, obs,
rho)``) and ``R/aggregate.escalc.r`` (``struct="CS"``, ``weighted=TRUE``);
Borenstein et al. (2009) ch. 24 for the combination of dependent outcomes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .validation import effect_vectors

DEFAULT_RHO = 0.8


@dataclass(frozen=True)
class Clusters:
    """Rows grouped by cluster: ``ids`` in first-appearance order and, for
    each, the row numbers (ascending) of its effects."""

    ids: tuple
    rows: tuple[np.ndarray, ...]

    @property
    def k(self) -> int:
        return len(self.ids)


def _is_missing(x) -> bool:
    if x is None:
        return True
    try:
        return isinstance(x, float) and math.isnan(x)
    except TypeError:
        return False


def _labels(name: str, values, n: int) -> list:
    labels = list(values.tolist() if isinstance(values, np.ndarray) else values)
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} entries but there are {n} effect sizes")
    for i, x in enumerate(labels):
        if _is_missing(x):
            raise ValueError(f"{name} is missing in row {i + 1}")
    return labels


def group_rows(cluster, n: int | None = None) -> Clusters:
    """Rows of each cluster, clusters in first-appearance order."""
    labels = _labels("cluster", cluster, len(cluster) if n is None else n)
    order: dict = {}
    for i, c in enumerate(labels):
        order.setdefault(c, []).append(i)
    return Clusters(tuple(order), tuple(np.asarray(r, dtype=np.intp) for r in order.values()))


def check_rho(rho) -> float:
    """rho must be a number in [0, 1): at rho = 1 equal-variance effects of one
    cluster have a singular covariance (metafor allows [-1, 1]; a negative
    constant correlation is rarely positive definite, so it is not offered)."""
    if isinstance(rho, bool) or not isinstance(rho, (int, float, np.floating)) \
            or not math.isfinite(rho) or not 0 <= rho < 1:
        raise ValueError(f"rho must be a number in [0, 1), got {rho!r}")
    return float(rho)


def by_size(rows: tuple[np.ndarray, ...]) -> list[tuple[list[int], np.ndarray]]:
    """Clusters of equal size stacked: ``(cluster numbers, row numbers (m, n))`` per size, smallest first.

    Per-cluster work on thousands of small clusters is then a few batched
    numpy calls per size instead of a few calls per cluster; numpy's batched
    linear algebra runs the same LAPACK routine on each matrix, so every
    per-cluster result is the one a call on that matrix alone gives.
    """
    members: dict[int, list[int]] = {}
    for j, r in enumerate(rows):
        members.setdefault(r.size, []).append(j)
    return [(js, np.array([rows[j] for j in js], dtype=np.intp).reshape(len(js), n))
            for n, js in sorted(members.items())]


def _stacked_blocks(v: np.ndarray, rho: float, codes: np.ndarray | None, idx: np.ndarray) -> np.ndarray:
    """The blocks of the clusters whose rows are ``idx`` (m, n): rho·s_i·s_j where the rows share a subgroup
    (``codes``), 0 between subgroups, v_i on the diagonal."""
    s = np.sqrt(v[idx])
    block = rho * (s[:, :, None] * s[:, None, :])  # np.outer(s, s) per cluster, then rho times it
    if codes is not None:
        c = codes[idx]
        block = np.where(c[:, :, None] == c[:, None, :], block, 0.0)
    diagonal = np.arange(idx.shape[1])
    block[:, diagonal, diagonal] = v[idx]
    return block


def _codes(sub: list | None) -> np.ndarray | None:
    """Each row's subgroup as an integer (equal labels, equal integers)."""
    if sub is None:
        return None
    numbers: dict = {}
    return np.array([numbers.setdefault(x, len(numbers)) for x in sub], dtype=np.intp)


def vcalc_blocks(vi, cluster, rho: float = DEFAULT_RHO, subgroup=None, groups: Clusters | None = None
                 ) -> list[np.ndarray]:
    """The per-cluster blocks of :func:`vcalc`: one n_j×n_j matrix per cluster,
    clusters in first-appearance order, rows in data order within a cluster
    (``group_rows(cluster).rows[j]`` gives the row numbers of block j; pass it as ``groups`` where the
    caller has it)."""
    v = np.asarray(vi, dtype=float).reshape(-1)
    rho = check_rho(rho)
    groups = group_rows(cluster, v.size) if groups is None else groups
    codes = _codes(None if subgroup is None else _labels("subgroup", subgroup, v.size))
    out: list = [None] * groups.k
    for members, idx in by_size(groups.rows):
        stacked = _stacked_blocks(v, rho, codes, idx)
        for j, block in zip(members, stacked):
            out[j] = block
    return out


def vcalc(vi, cluster, rho: float = DEFAULT_RHO, subgroup=None) -> np.ndarray:
    """k×k sampling covariance, as metafor ``vcalc(vi, cluster, subgroup,
    obs=<row id>, rho)``.

    cov_ii = v_i; within a cluster cov_ij = rho·sqrt(v_i·v_j); 0 between
    clusters and between different ``subgroup`` values of one cluster
    (independent samples: metafor pastes cluster and subgroup together,
    ``R/vcalc.r``). Use :func:`vcalc_blocks` for large data.
    """
    v = np.asarray(vi, dtype=float).reshape(-1)
    out = np.zeros((v.size, v.size))
    blocks = vcalc_blocks(v, cluster, rho, subgroup)
    for rows, block in zip(group_rows(cluster, v.size).rows, blocks):
        out[np.ix_(rows, rows)] = block
    return out


@dataclass(frozen=True)
class Aggregated:
    """One effect per cluster: ``cluster`` ids in first-appearance order."""

    cluster: tuple
    yi: np.ndarray
    vi: np.ndarray
    rho: float


def aggregate(yi, vi, cluster, rho: float = DEFAULT_RHO, subgroup=None) -> Aggregated:
    """Inverse-variance weighted mean of each cluster under the working
    covariance, as metafor ``aggregate.escalc(x, cluster, rho)`` (struct
    "CS", weighted=TRUE; with ``subgroup``: ``aggregate(x, cluster,
    V=vcalc(vi, cluster, subgroup, obs, rho))``).

    With V_j the cluster's block of :func:`vcalc` and W = V_j⁻¹:
    y_j = (1'W y)/(1'W 1), v_j = 1/(1'W 1) (the GLS mean of the cluster and
    its variance; Borenstein et al. 2009 ch. 24).
    """
    y, v = effect_vectors(yi, vi)
    rho = check_rho(rho)
    groups = group_rows(cluster, y.size)
    codes = _codes(None if subgroup is None else _labels("subgroup", subgroup, y.size))
    ys, vs = np.empty(groups.k), np.empty(groups.k)
    for members, idx in by_size(groups.rows):
        w = np.linalg.solve(_stacked_blocks(v, rho, codes, idx), np.ones(idx.shape)[..., None])[..., 0]
        for j, wj, yj in zip(members, w, y[idx]):  # one cluster at a time: the sums in the same order as alone
            total = float(wj.sum())
            ys[j] = float(wj @ yj) / total
            vs[j] = 1 / total
    return Aggregated(groups.ids, ys, vs, float(rho))
