"""Mixed-effects meta-regression, as metafor's ``rma(yi, vi, mods=X)``.

y = Xβ + u + e, u ~ N(0, tau2·I), e ~ N(0, diag(v)), X with an intercept
column and p − 1 moderators. Every step follows metafor 3.8-1
``R/rma.uni.r`` (Viechtbauer 2010, JSS 36(3); Viechtbauer 2005, JEBS
30(3); Knapp & Hartung 2003), written with P = W − WX(X'WX)⁻¹X'W:

- DL: tau2 = (Q − (k − p))/tr P, W = diag(1/v) (DerSimonian & Laird 1986,
  for meta-regression Raudenbush 2009);
- HE: tau2 = (y'P₀y − tr(P₀V))/(k − p), P₀ = I − X(X'X)⁻¹X' (Hedges 1983);
- ML / REML: Fisher scoring from the HE value (truncated at 0),
  ML step (y'PPy − Σw)/Σw², REML step (y'PPy − tr P)/tr(PP), halved while
  tau2 would go negative, stop when the change ≤ 1e−5, at most 100
  iterations; then metafor's ll0 check (tau2 = 0 when the log-likelihood at
  0 is larger by more than 1.22e−4 and tau2 > 1e−5);
- EE: tau2 = 0.

Then β = (X'WX)⁻¹X'Wy with W = diag(1/(v + tau2)), Var β = (X'WX)⁻¹
(times s² = Σw(y − Xβ)²/(k − p) for test="knha", t with k − p df), and
QE = y'P y with W = diag(1/v), chi²(k − p).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .validation import check_choice, check_level, effect_vectors

METHODS = ("EE", "DL", "HE", "ML", "REML")
TESTS = ("z", "knha")
THRESHOLD = 1e-5  # metafor control: threshold
MAXITER = 100  # metafor control: maxiter
LL0_TOL = 1.220703125e-4  # metafor control: tol = .Machine$double.eps^0.25


@dataclass(frozen=True)
class MetaregFit:
    """Coefficients (intercept first) and their inference; metafor names."""

    method: str
    test: str
    level: float
    k: int
    p: int
    beta: tuple[float, ...]
    se: tuple[float, ...]
    stat: tuple[float, ...]
    pval: tuple[float, ...]
    ci_lb: tuple[float, ...]
    ci_ub: tuple[float, ...]
    df: int | None
    tau2: float
    se_tau2: float | None
    QE: float
    QEp: float
    ll: float
    converged: bool
    notes: tuple[str, ...] = ()


def projection(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """P = W − WX(X'WX)⁻¹X'W for W = diag(w)."""
    wx = X * w[:, None]
    return np.diag(w) - wx @ np.linalg.solve(X.T @ wx, wx.T)


def loglik(y, v, X, tau2: float, reml: bool, remlf: bool = False) -> float:
    """metafor's ML / REML log-likelihood of rma.uni (``R/rma.uni.r``):
    −½k log 2π − ½Σlog(v + tau2) − ½RSS; REML with k − p, − ½log|X'WX| and,
    for the reported ``logLik`` (``remlf``), + ½log|X'X| (the ll0 check omits it)."""
    k, p = X.shape
    w = 1 / (v + tau2)
    wx = X * w[:, None]
    beta = np.linalg.solve(X.T @ wx, wx.T @ y)
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    if reml:
        return (-0.5 * (k - p) * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + tau2)))
                - 0.5 * float(np.linalg.slogdet(X.T @ wx)[1]) - 0.5 * rss
                + (0.5 * float(np.linalg.slogdet(X.T @ X)[1]) if remlf else 0.0))
    return -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + tau2))) - 0.5 * rss


def _hedges(y, v, X) -> float:
    k, p = X.shape
    p0 = np.eye(k) - X @ np.linalg.solve(X.T @ X, X.T)
    return float((y @ p0 @ y - np.trace(p0 * v[None, :])) / (k - p))


def _fisher_scoring(y, v, X, method, tau2):
    notes: list[str] = []
    for it in range(1, MAXITER + 2):
        if it > MAXITER:
            return tau2, False, notes
        old = tau2
        w = 1 / (v + tau2)
        P = projection(X, w)
        py = P @ y
        if method == "ML":
            adj = (py @ py - w.sum()) / float(np.sum(w * w))
        else:
            adj = (py @ py - np.trace(P)) / float(np.sum(P * P))
        adj = 0.0 if not math.isfinite(adj) else float(adj)
        while tau2 + adj < 0:
            adj /= 2
        tau2 = tau2 + adj
        if abs(old - tau2) <= THRESHOLD:
            break
    ll0 = loglik(y, v, X, 0.0, method == "REML")
    if ll0 - loglik(y, v, X, tau2, method == "REML") > LL0_TOL and tau2 > THRESHOLD:
        notes.append("Fisher scoring stopped at a stationary point below the likelihood at "
                     "tau2 = 0; tau2 set to 0 (as metafor's ll0check)")
        tau2 = 0.0
    return tau2, True, notes


def _tau2(y, v, X, method):
    """(tau2, se_tau2, converged, notes) as metafor's rma.uni."""
    k, p = X.shape
    if method == "EE":
        return 0.0, None, True, []
    if method == "DL":
        P = projection(X, 1 / v)
        trp = float(np.trace(P))
        tau2 = max(0.0, float((y @ P @ y - (k - p)) / trp))
        se = math.sqrt((2 * (k - p) + 4 * tau2 * trp + 2 * tau2 ** 2 * float(np.sum(P * P))) / trp ** 2)
        return tau2, se, True, []
    start = _hedges(y, v, X)
    if method == "HE":
        p0 = np.eye(k) - X @ np.linalg.solve(X.T @ X, X.T)
        pv = p0 * v[None, :]
        tau2 = max(0.0, start)
        se = math.sqrt((2 * float(np.sum(pv * pv.T)) + 4 * tau2 * float(np.trace(pv))
                        + 2 * tau2 ** 2 * (k - p)) / (k - p) ** 2)
        return tau2, se, True, []
    tau2, converged, notes = _fisher_scoring(y, v, X, method, max(0.0, start))
    w = 1 / (v + tau2)
    se = math.sqrt(2 / float(np.sum(w * w))) if method == "ML" else \
        math.sqrt(2 / float(np.sum(projection(X, w) ** 2)))
    return tau2, se, converged, notes


def as_tuple(a) -> tuple[float, ...]:
    return tuple(float(x) for x in a)


def _validate(yi, vi, mods, method, test, level):
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    check_level(level)
    y, v = effect_vectors(yi, vi)
    try:
        m = np.asarray(mods, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("the moderators must be numbers") from None
    m = m[:, None] if m.ndim == 1 else m
    if m.ndim != 2 or m.shape[0] != y.size:
        raise ValueError(f"yi has {y.size} rows but the moderators {m.shape[0] if m.ndim else 0}")
    if not np.all(np.isfinite(m)):
        raise ValueError("the moderators must be finite numbers")
    X = np.column_stack([np.ones(y.size), m])
    if y.size <= X.shape[1]:
        raise ValueError(f"{X.shape[1]} coefficients need more than {X.shape[1]} studies, got {y.size}")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("the moderators are collinear (e.g. a constant moderator)")
    return y, v, X


def rma_mods(yi, vi, mods, method: str = "REML", test: str = "z", level: float = 0.95) -> MetaregFit:
    """``rma(yi, vi, mods = ~ mods, method, test)``: ``mods`` is a vector (one
    moderator) or a k×m matrix; an intercept column is added."""
    y, v, X = _validate(yi, vi, mods, method, test, level)
    k, p = X.shape
    tau2, se_tau2, converged, notes = _tau2(y, v, X, method)
    w = 1 / (v + tau2)
    wx = X * w[:, None]
    xwx = X.T @ wx
    beta = np.linalg.solve(xwx, wx.T @ y)
    vb = np.linalg.inv(xwx)
    df = None
    if test == "knha":
        rss = float(np.sum(w * (y - X @ beta) ** 2))
        vb = vb * (0.0 if rss <= np.finfo(float).eps else rss / (k - p))
        df = k - p
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    if df is None:
        crit = float(special.ndtri(0.5 + level / 2))
        pval = 2 * special.ndtr(-np.abs(stat))
    else:
        crit = float(special.stdtrit(df, 0.5 + level / 2))
        pval = 2 * special.stdtr(df, -np.abs(stat))
    P0 = projection(X, 1 / v)
    qe = max(0.0, float(y @ P0 @ y))
    ll = loglik(y, v, X, tau2, method == "REML", remlf=True)
    return MetaregFit(method, test, float(level), k, p, as_tuple(beta), as_tuple(se), as_tuple(stat),
                      as_tuple(pval), as_tuple(beta - crit * se), as_tuple(beta + crit * se), df,
                      float(tau2), se_tau2, qe, float(special.chdtrc(k - p, qe)), ll, converged,
                      tuple(notes))
