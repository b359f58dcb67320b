"""Cluster-robust variance (CR2) with Satterthwaite degrees of freedom.

As metafor 3.8-1 ``robust(fit, cluster, clubSandwich=TRUE)`` (``R/robust.rma.mv.r``),
which calls clubSandwich 0.5.8 ``vcovCR(type="CR2")``, ``coef_test`` and
``conf_int`` with ``test="Satterthwaite"`` (``R/clubSandwich.R``, ``R/CR-adjustments.R``,
``R/Satterthwaite.R``, ``R/get_arrays.R``); Bell & McCaffrey (2002, Surv.
Methodol. 28:169-181), Tipton (2015, Psychol. Methods 20:375-393),
Pustejovsky & Tipton (2018, J. Bus. Econ. Stat. 36:672-683).

For the intercept-only working model with inverse-variance weights W_j = M_j⁻¹
(clubSandwich's ``inverse_var=TRUE``, target Θ_j = M_j) and w_j = M_j⁻¹1,
S = Σ1'w_j, e_j = y_j − mu:

- R_j the upper Cholesky factor of M_j (R_j'R_j = M_j);
  G_j = R_j (M_j − J/S) R_j'; A_j = R_j' G_j^(−1/2) R_j, the power by
  eigen-decomposition with eigenvalues ≤ 1e−12 set to 0 (``matrix_power``);
- c_j = w_j'A_j e_j, V_CR2 = Σc_j² / S².

Satterthwaite: with g_j = (w_j'A_j R_j')/S (a row) and h_j = (w_j'A_j 1)/S^(3/2),
P = diag(‖g_j‖²) − h h', df = (tr P)² / Σ P² (clubSandwich ``Satterthwaite``:
2·E²/V with E = tr P, V = 2ΣP²).

metafor then gives t = mu/se_CR2, p from t(df), CI mu ± t_(df)·se_CR2, and
``predict()`` the prediction interval mu ± t_(df)·sqrt(se_CR2² + tau2 + omega2)
(``R/predict.rma.r``: crit from clubSandwich ``linear_contrast``'s df;
vpred = se²; sum(sigma2) added).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .multilevel import MultilevelFit
from .validation import check_level

EIGEN_TOL = 1e-12  # clubSandwich matrix_power(tol = -12)


@dataclass(frozen=True)
class RobustFit:
    """CR2 inference for a :class:`MultilevelFit` (metafor field names)."""

    estimate: float
    se: float
    stat: float
    df: float
    pval: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    level: float
    k: int
    vcov_type: str = "CR2"
    test: str = "Satterthwaite"


def _inv_sqrt_psd(g: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(g)
    keep = vals > EIGEN_TOL
    powered = np.zeros_like(vals)
    powered[keep] = vals[keep] ** -0.5
    return (vecs * powered[:, None, :]) @ np.swapaxes(vecs, 1, 2)


def _single_effect_terms(m: np.ndarray, w: np.ndarray, e: np.ndarray, S: float):
    """c_j, ‖g_j‖² and h_j of :func:`cr2_components` for 1×1 blocks M_j = m: R = √m (what the Cholesky
    factor of a 1×1 matrix is), G = R·m·R − R²/S, A = R·G^(−1/2)·R (0 where G ≤ EIGEN_TOL), each product
    in the order the matrix products take."""
    root = np.sqrt(m)
    g = root * m * root - root * root / S
    powered = np.zeros_like(g)
    keep = g > EIGEN_TOL
    powered[keep] = g[keep] ** -0.5
    wa = w * (root * powered * root)  # w'A
    gj = wa * root / S
    return wa * e, gj * gj, wa / S ** 1.5


def cr2_components(fit: MultilevelFit) -> tuple[float, float]:
    """(V_CR2, Satterthwaite df) of the fit's estimate (formulas in the module doc)."""
    b = fit.data
    if b is None:
        raise ValueError("the fit does not carry its data; refit with rma_mv")
    weights = b.weights(fit.tau2, fit.omega2)  # M⁻¹1
    S = float(weights.sum())
    mu = fit.estimate
    c, gnorm, h = [], [], []
    for _, idx, vs, ys in b.groups:
        n = vs.shape[1]
        if n == 1:  # clusters of one effect (most of them) as plain products, without LAPACK's per-call cost
            c_, gnorm_, h_ = _single_effect_terms(vs[:, 0, 0] + fit.tau2 + fit.omega2, weights[idx[:, 0]],
                                                  ys[:, 0] - mu, S)
            c.append(c_)
            gnorm.append(gnorm_)
            h.append(h_)
            continue
        m = vs + fit.tau2 + fit.omega2 * np.eye(n)
        lower = np.linalg.cholesky(m)  # L = R'
        upper = np.swapaxes(lower, 1, 2)
        r1 = upper.sum(axis=2)  # R 1
        g = upper @ m @ lower - np.einsum("mi,mj->mij", r1, r1) / S
        a = lower @ _inv_sqrt_psd(g) @ upper  # R' G^-1/2 R
        w = weights[idx]
        wa = np.einsum("mi,mij->mj", w, a)  # w'A (row)
        c.append(np.einsum("mj,mj->m", wa, ys - mu))
        gj = np.einsum("mj,mjk->mk", wa, lower) / S  # w'A R' / S
        gnorm.append((gj * gj).sum(axis=1))
        h.append(wa.sum(axis=1) / S ** 1.5)
    c, gnorm, h = (np.concatenate(x) for x in (c, gnorm, h))
    var = float((c * c).sum()) / S ** 2
    h2 = h * h
    trace = float(gnorm.sum() - h2.sum())
    sum_sq = float(((gnorm - h2) ** 2).sum() + h2.sum() ** 2 - (h2 * h2).sum())
    return var, trace * trace / sum_sq


def robust(fit: MultilevelFit, level: float | None = None) -> RobustFit:
    """metafor ``robust(fit, cluster=<the fit's clusters>, clubSandwich=TRUE)``
    and ``predict()`` of it: CR2 SE, Satterthwaite df, t-based CI, p-value
    and prediction interval (module doc). ``level`` defaults to the fit's."""
    level = check_level(fit.level if level is None else level)
    var, df = cr2_components(fit)
    se = math.sqrt(var)
    t = fit.estimate / se if se > 0 else math.copysign(math.inf, fit.estimate)
    crit = float(special.stdtrit(df, 0.5 + level / 2))
    pval = float(2 * special.stdtr(df, -abs(t)))
    half_pi = crit * math.sqrt(var + fit.tau2 + fit.omega2)
    return RobustFit(fit.estimate, se, t, df, pval, fit.estimate - crit * se, fit.estimate + crit * se,
                     fit.estimate - half_pi, fit.estimate + half_pi, float(level), fit.k)
