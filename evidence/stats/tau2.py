"""Between-study variance (tau²) estimators of metafor's ``rma.uni``.

Intercept-only random-effects model y_i = mu + u_i + e_i, u_i ~ N(0, tau²),
e_i ~ N(0, v_i). Each estimator, its defaults and its standard error follow
metafor 3.8-1 (``R/rma.uni.r``; Viechtbauer 2010, JSS 36(3); Viechtbauer
2005, J. Educ. Behav. Stat. 30(3); the ``rma`` help page). metafor writes
them with the projection matrix P = W − W X (X'WX)⁻¹ X'W; for X = 1 every
quantity has a closed form in the weights, used here so the cost is O(k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .rootfind import R_UNIROOT_TOL, uniroot

THRESHOLD = 1e-5  # metafor control: threshold (Fisher scoring convergence)
MAXITER = 100  # metafor control: maxiter
TAU2_MAX = 100.0  # metafor control: tau2.max (upper end of the PM search)
LL_TOL = R_UNIROOT_TOL  # metafor control: tol, also used by the ll0 check
LL0_NOTE = "Fisher scoring stopped at a local maximum; tau2 set to 0 (as metafor)"


@dataclass(frozen=True)
class Tau2Estimate:
    tau2: float
    se_tau2: float | None
    converged: bool
    iterations: int = 0
    notes: tuple[str, ...] = ()


def _others(a: np.ndarray) -> np.ndarray:
    """sum_{j != i} a_j without the cancellation of ``a.sum() - a``."""
    before = np.concatenate(([0.0], np.cumsum(a)[:-1]))
    after = np.concatenate((np.cumsum(a[::-1])[::-1][1:], [0.0]))
    return before + after


class InterceptProjection:
    """Traces and quadratic forms of P for intercept-only weights w."""

    def __init__(self, w: np.ndarray, v: np.ndarray):
        self.w, self.v = w, v
        self.s = float(w.sum())
        self.diag = w * _others(w) / self.s  # P_ii = w_i (s - w_i) / s
        self.w2 = w * w

    def rss(self, y):  # y'Py, the (generalised) Q statistic
        r = y - float(np.sum(self.w * y)) / self.s
        return float(np.sum(self.w * r * r))

    def ypp_y(self, y):  # y'PPy
        r = self.w * (y - float(np.sum(self.w * y)) / self.s)
        return float(np.sum(r * r))

    def tr(self):  # tr(P)
        return float(self.diag.sum())

    def _offdiag(self, a, b):  # sum_{i != j} a_i b_j / s²
        return float(np.sum(a * _others(b))) / (self.s * self.s)

    def tr_pp(self):  # tr(PP) = sum_ij P_ij²
        return float(np.sum(self.diag ** 2)) + self._offdiag(self.w2, self.w2)

    def tr_pv(self):  # tr(PV)
        return float(np.sum(self.diag * self.v))

    def tr_pvpv(self):  # sum(PV * t(PV)) = sum_ij P_ij² v_i v_j
        a = self.w2 * self.v
        return float(np.sum((self.diag * self.v) ** 2)) + self._offdiag(a, a)

    def sum_pvp(self):  # sum(PV * P) = sum_ij P_ij² v_j
        return float(np.sum(self.diag ** 2 * self.v)) + self._offdiag(self.w2, self.w2 * self.v)


def _q_based(y, v, method) -> Tau2Estimate:
    """DL, HS, HE and SJ: closed forms, truncated at 0 (metafor tau2.min = 0)."""
    k = len(y)
    if method in ("DL", "HS"):
        p = InterceptProjection(1 / v, v)
        q, trp = p.rss(y), p.tr()
        raw = (q - (k - 1)) / trp if method == "DL" else (q - k) / p.s
        t = max(0.0, raw)
        core = 2 * (k - 1) + 4 * t * trp + 2 * t * t * p.tr_pp()
        se = math.sqrt(core) / (trp if method == "DL" else p.s)
        return Tau2Estimate(t, se, True)
    if method == "HE":
        t = max(0.0, _he_raw(y, v))
        p = InterceptProjection(np.ones(k), v)
        core = 2 * p.tr_pvpv() + 4 * t * p.tr_pv() + 2 * t * t * (k - 1)
        return Tau2Estimate(t, math.sqrt(core) / (k - 1), True)
    # SJ: one step from the crude start tau0 = sum((y - ybar)^2) / k
    # (Sidik & Jonkman 2005; metafor uses var(yi) * (k-1)/k).
    tau0 = float(np.sum((y - y.mean()) ** 2)) / k
    p = InterceptProjection(1 / (v + tau0), v)
    t = max(0.0, tau0 * p.rss(y) / (k - 1))
    core = 2 * p.tr_pvpv() + 4 * t * p.sum_pvp() + 2 * t * t * p.tr_pp()
    return Tau2Estimate(t, tau0 / (k - 1) * math.sqrt(core), True)


def _he_raw(y, v) -> float:
    """Hedges (1983) method-of-moments estimate before truncation."""
    k = len(y)
    p = InterceptProjection(np.ones(k), v)
    return (p.rss(y) - p.tr_pv()) / (k - 1)


def _loglik(y, v, t, reml: bool) -> float:
    w = 1 / (v + t)
    k = len(y)
    mu = float(np.sum(w * y) / np.sum(w))
    rss = float(np.sum(w * (y - mu) ** 2))
    ll = -0.5 * (k - reml) * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + t))) - 0.5 * rss
    return ll - 0.5 * math.log(float(np.sum(w))) if reml else ll


def _fisher_scoring(y, v, method) -> Tau2Estimate:
    """ML, REML and EB by Fisher scoring from the HE estimate (metafor).

    Steps are halved while they would go below 0; convergence when the change
    is <= 1e-5; more than 100 iterations = failure (metafor then stops).
    """
    k = len(y)
    t = max(0.0, _he_raw(y, v))
    change, it = THRESHOLD + 1, 0
    while change > THRESHOLD:
        it += 1
        old = t
        p = InterceptProjection(1 / (v + t), v)
        if method == "ML":
            adj = (p.ypp_y(y) - p.s) / float(np.sum(p.w2))
        elif method == "REML":
            adj = (p.ypp_y(y) - p.tr()) / p.tr_pp()
        else:  # EB (Morris 1983; Berkey et al. 1995)
            adj = (p.rss(y) * k / (k - 1) - k) / p.s
        while t + adj < 0:
            adj /= 2
        t = t + adj
        change = abs(old - t)
        if it > MAXITER:
            return Tau2Estimate(t, None, False, it)
    notes: tuple[str, ...] = ()
    if method in ("ML", "REML") and t > THRESHOLD:
        # metafor's ll0check: a boundary maximum the scoring walked past.
        reml = method == "REML"
        if _loglik(y, v, 0.0, reml) - _loglik(y, v, t, reml) > LL_TOL:
            t = 0.0
            notes = (LL0_NOTE,)
    w = 1 / (v + t)
    if method == "ML":
        se = math.sqrt(2 / float(np.sum(w * w)))
    elif method == "REML":
        se = math.sqrt(2 / InterceptProjection(w, v).tr_pp())
    else:
        se = _se_eb_pm(w, k)
    return Tau2Estimate(t, se, True, it, notes)


def _se_eb_pm(w, k) -> float:
    return math.sqrt(2 * k * k / (k - 1)) / float(np.sum(w))


def _paule_mandel(y, v) -> Tau2Estimate:
    """Paule & Mandel (1982): tau² with Q(tau²) = k − 1, by R's uniroot."""
    k = len(y)

    def f(t):
        return InterceptProjection(1 / (v + t), v).rss(y) - (k - 1)

    if f(0.0) < 0:
        return Tau2Estimate(0.0, _se_eb_pm(1 / v, k), True)
    upper, notes = TAU2_MAX, []
    while f(upper) > 0:
        # metafor stops with "Value of 'tau2.max' too low"; we widen instead.
        upper *= 10
        if upper > 1e300:
            return Tau2Estimate(math.inf, None, False, 0, ("PM: no root found",))
    if upper != TAU2_MAX:
        notes.append(f"PM: tau2 above metafor's tau2.max = 100; searched up to {upper:g}")
    root = uniroot(f, 0.0, upper, tol=R_UNIROOT_TOL, maxiter=MAXITER)
    if root.iterations < 0:
        notes.append("PM: root search reached 100 iterations (metafor only warns)")
    t = max(0.0, root.root)
    return Tau2Estimate(t, _se_eb_pm(1 / (v + t), k), True, max(root.iterations, 0), tuple(notes))


def estimate_tau2(yi, vi, method: str) -> Tau2Estimate:
    """tau² and its standard error for ``method`` (k >= 2, vi > 0 checked by caller).

    DL: DerSimonian & Laird (1986); HS: Hunter & Schmidt (2004); HE: Hedges
    (1983); SJ: Sidik & Jonkman (2005); PM: Paule & Mandel (1982); ML/REML:
    Viechtbauer (2005); EB: Morris (1983). Standard errors as in metafor
    (Viechtbauer 2010 and metafor's notes): DL/HS/HE/SJ from the variance of
    the quadratic form, ML sqrt(2/Σw²), REML sqrt(2/tr(PP)), EB/PM
    sqrt(2k²/(k−1))/Σw.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if method == "EE":
        return Tau2Estimate(0.0, None, True)
    if method in ("DL", "HS", "HE", "SJ"):
        return _q_based(y, v, method)
    if method in ("ML", "REML", "EB"):
        return _fisher_scoring(y, v, method)
    if method == "PM":
        return _paule_mandel(y, v)
    raise ValueError(f"unknown tau2 method {method!r}")
