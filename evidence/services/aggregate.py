"""One estimate per study from several correlated ones, for showing a study as one forest-plot row.

Pure (numpy only). Pooling itself (``pooling.py``) models the rows of a study
with their dependence; this only draws the study's summary, as metafor's
``aggregate.escalc(..., struct = "CS", rho)`` does (Viechtbauer 2010, metafor
manual, ``aggregate.escalc``): with ``V`` the rows' variance matrix under a
compound-symmetric correlation ``rho`` (``V_ij = rho * sqrt(v_i * v_j)``,
``V_ii = v_i``) and ``W = V⁻¹``, the study's estimate is
``sum(W y) / sum(W)`` and its variance ``1 / sum(W)`` (the GLS estimate of a
common mean). ``rho = 0`` gives the inverse-variance weighted mean.
"""

from __future__ import annotations

import numpy as np


def aggregate(yi, vi, rho: float = 0.0) -> tuple[float, float]:
    """(estimate, sampling variance) of one study from its rows ``yi``, ``vi``."""
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if y.size == 1:
        return float(y[0]), float(v[0])
    sd = np.sqrt(v)
    V = rho * np.outer(sd, sd)
    np.fill_diagonal(V, v)
    W = np.linalg.inv(V)
    total = W.sum()
    return float((W @ y).sum() / total), float(1.0 / total)
