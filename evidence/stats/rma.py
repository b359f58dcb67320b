"""Random- and equal-effects meta-analysis, as metafor's ``rma(yi, vi)``.

Intercept-only model, inverse-variance weights w_i = 1/(v_i + tau²).
Sources: Viechtbauer (2010), JSS 36(3); metafor 3.8-1 ``R/rma.uni.r`` and
``R/predict.rma.r``; Knapp & Hartung (2003); Higgins & Thompson (2002);
Borenstein et al. (2009), ch. 11-17 for the prediction interval.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
from scipy import special

from .tau2 import InterceptProjection, Tau2Estimate, estimate_tau2
from .validation import check_choice, check_level, effect_vectors

METHODS = ("EE", "DL", "REML", "PM", "SJ", "HS", "HE", "ML", "EB")
TESTS = ("z", "knha")

K1_NOTE = "k = 1: no heterogeneity can be estimated"


@dataclass(frozen=True)
class Fit:
    """Result of :func:`rma`; field names follow metafor's ``rma.uni`` object.

    ``test_used`` is the test actually applied (knha falls back to z when it
    is undefined); ``method_used`` the tau² estimator actually applied.
    """

    method: str
    test: str
    level: float
    k: int
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    tau2: float
    se_tau2: float | None
    I2: float | None
    H2: float | None
    QE: float | None
    QEp: float | None
    pi_lb: float | None
    pi_ub: float | None
    df: int | None
    weights: tuple[float, ...]
    converged: bool
    method_used: str
    notes: tuple[str, ...] = ()
    test_used: str = "z"


def _validate(yi, vi, method, test, level):
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    check_level(level)
    return effect_vectors(yi, vi)


def _single_study(y, v, method, test, level) -> Fit:
    notes = [K1_NOTE]
    if test == "knha":
        notes.append("knha needs k >= 2 (df = k - 1 = 0); used the z-test (as metafor)")
    se = math.sqrt(v[0])
    crit = special.ndtri(0.5 + level / 2)
    z = y[0] / se
    return Fit(method, test, level, 1, float(y[0]), se, y[0] - crit * se, y[0] + crit * se,
               z, float(2 * special.ndtr(-abs(z))), 0.0, None, None, None, None, None,
               None, None, None, (100.0,), True, method, tuple(notes), "z")


def _heterogeneity(y, v, tau2, method):
    """QE, its p-value, I² and H² (metafor: generalised via tau² and vt)."""
    k = len(y)
    fixed = InterceptProjection(1 / v, v)
    qe = max(0.0, fixed.rss(y))
    qep = float(special.chdtrc(k - 1, qe))
    if method == "EE":
        i2 = 0.0 if qe == 0 else max(0.0, 100 * (qe - (k - 1)) / qe)
        return qe, qep, i2, qe / (k - 1)
    # 'typical' within-study variance (Higgins & Thompson 2002, eq. 9)
    vt = (k - 1) / fixed.tr()
    return qe, qep, 100 * tau2 / (vt + tau2), tau2 / vt + 1


def rma(yi, vi, method: str = "REML", test: str = "z", level: float = 0.95) -> Fit:
    """Fit metafor's ``rma(yi, vi, method=method, test=test)`` (no moderators).

    - estimate: mu = Σw y / Σw, se = sqrt(1/Σw), w = 1/(v + tau²).
    - test="z": normal CI and p-value. test="knha": Knapp & Hartung (2003);
      se² is multiplied by s² = Σw(y − mu)²/(k − 1) — not truncated at 1, as
      metafor's default — and t with k − 1 df is used.
    - QE = Σ(y − mu_EE)²/v with p from chi²(k−1); EE: I² = max(0, (QE−(k−1))/QE),
      H² = QE/(k−1); otherwise I² = tau²/(tau² + vt), H² = 1 + tau²/vt with
      vt = (k−1)/(Σw₀ − Σw₀²/Σw₀), w₀ = 1/v (Higgins & Thompson 2002).
    - prediction interval (not for EE): mu ± crit·sqrt(se² + tau²), crit the
      normal or (knha) t(k−1) quantile (metafor ``predict.rma``).
    - k = 1: the study itself, tau² = 0, heterogeneity fields None.
    - an estimator that does not converge (metafor stops with an error) is
      replaced by DL and the replacement is recorded in ``notes``.
    """
    y, v = _validate(yi, vi, method, test, level)
    if len(y) == 1:
        return _single_study(y, v, method, test, level)
    return rma_from_estimate(y, v, estimate_tau2(y, v, method), method, test, level)


def rma_from_estimate(y: np.ndarray, v: np.ndarray, est: Tau2Estimate, method: str, test: str,
                      level: float) -> Fit:
    """:func:`rma` for checked vectors (k >= 2) given ``estimate_tau2(y, v, method)``.

    :func:`evidence.stats.rowwise.rma_rows` has already run the scalar
    iteration for each row; a row that did not converge is finished here
    (DL in its place, as :func:`rma`) without iterating again.
    """
    k = len(y)
    notes: list[str] = []
    if v.max() / v.min() >= 1e7:
        notes.append("ratio of largest to smallest sampling variance is extremely large; "
                     "results may be unstable (metafor warns too)")
    method_used, converged = method, est.converged
    notes.extend(est.notes)
    if not est.converged:
        detail = "Fisher scoring" if method in ("ML", "REML", "EB") else "root search"
        notes.append(f"{method} did not converge ({detail}, {est.iterations} iterations); used DL")
        est, method_used = estimate_tau2(y, v, "DL"), "DL"
    tau2 = est.tau2
    w = 1 / (v + tau2)
    sw = float(w.sum())
    mu = float(np.sum(w * y)) / sw
    var_mu = 1 / sw
    test_used, df = test, None
    if test == "knha":
        rss = float(np.sum(w * (y - mu) ** 2))
        if rss <= sys.float_info.epsilon:
            # metafor sets s² = 0 here and reports se = 0 with an infinite t;
            # we keep the z-test so every number stays finite.
            test_used = "z"
            notes.append("knha undefined: all estimates identical (residual Q = 0); used the z-test")
        else:
            var_mu *= rss / (k - 1)
            df = k - 1
    se = math.sqrt(var_mu)
    stat = mu / se
    if df is None:
        crit = float(special.ndtri(0.5 + level / 2))
        pval = float(2 * special.ndtr(-abs(stat)))
    else:
        crit = float(special.stdtrit(df, 0.5 + level / 2))
        pval = float(2 * special.stdtr(df, -abs(stat)))
    qe, qep, i2, h2 = _heterogeneity(y, v, tau2, method_used)
    pi_lb = pi_ub = None
    if method_used != "EE":
        half = crit * math.sqrt(var_mu + tau2)
        pi_lb, pi_ub = mu - half, mu + half
    weights = tuple((100 * w / sw).tolist())
    return Fit(method, test, level, k, mu, se, mu - crit * se, mu + crit * se, stat, pval,
               tau2, est.se_tau2, i2, h2, qe, qep, pi_lb, pi_ub, df, weights, converged,
               method_used, tuple(notes), test_used)
