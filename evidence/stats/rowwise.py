"""Many intercept-only random-effects fits of one size at once (one per matrix row), as metafor's ``rma``.

Leave-one-out (:func:`evidence.stats.sensitivity.leave_one_out`) fits k
problems of k − 1 studies each; a build fits about 100,000 of them, and each
scalar fit pays numpy's per-call overhead a dozen times per iteration. Here
every row runs exactly the iteration of :func:`evidence.stats.tau2.estimate_tau2`
(metafor 3.8-1's: start at the Hedges estimate, halve a step that would go
below 0, stop when the change is <= 1e-5, the ll0 check after), each row
stopping at its own iteration, so each row's tau² is what the scalar code
gives for that row alone. A row that does not converge in metafor's 100
iterations is returned as the scalar code returns it (not converged, 101
iterations), and :func:`rma_rows` finishes it with
:func:`evidence.stats.rma.rma_from_estimate`, which puts DL in its place as
:func:`evidence.stats.rma.rma` does, without iterating again. The other rows
are finished here, column by column, as ``rma_from_estimate`` finishes a fit.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy import special

from .rma import METHODS as RMA_METHODS
from .rma import TESTS, Fit, rma, rma_from_estimate
from .tau2 import LL0_NOTE, LL_TOL, MAXITER, THRESHOLD, Tau2Estimate
from .validation import check_choice, check_level, effect_vectors

METHODS = ("ML", "REML", "EB")


def _others(a: np.ndarray) -> np.ndarray:
    """Per row, sum_{j != i} a_j without the cancellation of ``a.sum() - a``.

    The same running sums as the scalar code's cumsums (left to right, and right to left), so each row's
    result is bit for bit the scalar one. With many short rows they are added column by column: numpy's
    cumsum along short rows makes one inner-loop call per row, several times slower.
    """
    n, k = a.shape
    if n < 32 * k:
        cum = np.cumsum(a, axis=1)
        before = np.concatenate((np.zeros((n, 1)), cum[:, :-1]), axis=1)
        tail = np.cumsum(a[:, ::-1], axis=1)[:, ::-1]
        after = np.concatenate((tail[:, 1:], np.zeros((n, 1))), axis=1)
        return before + after
    out = np.empty_like(a)
    out[:, 0] = 0.0
    acc = a[:, 0]
    for j in range(1, k):
        out[:, j] = acc
        acc = acc + a[:, j]
    out[:, k - 1] += 0.0  # the scalar code adds its trailing 0 too (x + 0.0 is x, and -0.0 + 0.0 is 0.0)
    acc = a[:, k - 1]
    for j in range(k - 2, -1, -1):
        out[:, j] += acc
        acc = acc + a[:, j]
    return out


def _mean_w(w, y, s):
    return np.sum(w * y, axis=1) / s


def _tr_pp(w, s):
    """tr(PP) per row for intercept-only weights ``w`` (:class:`evidence.stats.tau2.InterceptProjection`)."""
    diag = w * _others(w) / s[:, None]
    w2 = w * w
    return np.sum(diag ** 2, axis=1) + np.sum(w2 * _others(w2), axis=1) / (s * s), diag


def _step(y, v, t, method, k):
    w = 1 / (v + t[:, None])
    s = w.sum(axis=1)
    mu = _mean_w(w, y, s)
    if method == "ML":
        r = w * (y - mu[:, None])
        return (np.sum(r * r, axis=1) - s) / np.sum(w * w, axis=1)
    if method == "REML":
        r = w * (y - mu[:, None])
        tr_pp, diag = _tr_pp(w, s)
        return (np.sum(r * r, axis=1) - diag.sum(axis=1)) / tr_pp
    r = y - mu[:, None]  # EB
    return (np.sum(w * r * r, axis=1) * k / (k - 1) - k) / s


def _loglik(y, v, t, reml: bool):
    k = y.shape[1]
    w = 1 / (v + t[:, None])
    sw = w.sum(axis=1)
    mu = np.sum(w * y, axis=1) / sw
    rss = np.sum(w * (y - mu[:, None]) ** 2, axis=1)
    ll = -0.5 * (k - reml) * math.log(2 * math.pi) - 0.5 * np.sum(np.log(v + t[:, None]), axis=1) - 0.5 * rss
    return ll - 0.5 * np.log(sw) if reml else ll


def fisher_scoring_rows(y: np.ndarray, v: np.ndarray, method: str) -> list[Tau2Estimate]:
    """``estimate_tau2(y[i], v[i], method)`` for every row i (``method`` in :data:`METHODS`, k >= 2)."""
    if method not in METHODS:
        raise ValueError(f"row-wise Fisher scoring is for {METHODS}, not {method!r}")
    n, k = y.shape
    he_w = np.ones((n, k))
    he_diag = he_w * _others(he_w) / k
    he_rss = np.sum((y - (np.sum(y, axis=1) / k)[:, None]) ** 2, axis=1)
    t = np.maximum(0.0, (he_rss - np.sum(he_diag * v, axis=1)) / (k - 1))
    iterations = np.zeros(n, dtype=int)
    active = np.ones(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    while active.any():
        rows = np.flatnonzero(active)
        old = t[rows]
        adj = _step(y[rows], v[rows], old, method, k)
        negative = old + adj < 0
        # From 0, the scalar loop halves a negative step until it underflows to -0.0 (~1,075 halvings): t stays 0.
        adj[negative & (old == 0)] = -0.0
        negative &= old != 0
        while negative.any():
            adj[negative] /= 2
            negative = old + adj < 0
        t[rows] = old + adj
        iterations[rows] += 1
        done = np.abs(old - t[rows]) <= THRESHOLD
        over = iterations[rows] > MAXITER  # as the scalar loop: a failure even when this step converged
        failed[rows[over]] = True
        active[rows[done | over]] = False
    ll0 = np.zeros(n, dtype=bool)
    if method in ("ML", "REML"):
        check = np.flatnonzero(~failed & (t > THRESHOLD))
        if check.size:
            reml = method == "REML"
            drop = (_loglik(y[check], v[check], np.zeros(check.size), reml)
                    - _loglik(y[check], v[check], t[check], reml)) > LL_TOL
            ll0[check[drop]] = True
            t[check[drop]] = 0.0
    w = 1 / (v + t[:, None])
    if method == "ML":
        se = np.sqrt(2 / np.sum(w * w, axis=1))
    elif method == "REML":
        se = np.sqrt(2 / _tr_pp(w, w.sum(axis=1))[0])
    else:
        se = math.sqrt(2 * k * k / (k - 1)) / w.sum(axis=1)
    return [Tau2Estimate(float(t[i]), None, False, int(iterations[i])) if failed[i] else
            Tau2Estimate(float(t[i]), float(se[i]), True, int(iterations[i]), (LL0_NOTE,) if ll0[i] else ())
            for i in range(n)]


def rma_rows(y: np.ndarray, v: np.ndarray, method: str, test: str, level: float) -> list[Fit]:
    """``rma(y[i], v[i], method, test, level)`` for every row i (checked rows of k >= 2, ``method`` in METHODS)."""
    estimates = fisher_scoring_rows(y, v, method)
    good = np.array([e.converged for e in estimates])
    out: list[Fit | None] = [None if e.converged else rma_from_estimate(y[i], v[i], e, method, test, level)
                             for i, e in enumerate(estimates)]
    if not good.any():
        return out
    rows = np.flatnonzero(good)
    y, v = y[rows], v[rows]
    k = y.shape[1]
    tau2 = np.array([estimates[i].tau2 for i in rows])
    w = 1 / (v + tau2[:, None])
    sw = w.sum(axis=1)
    mu = np.sum(w * y, axis=1) / sw
    var_mu = 1 / sw
    flat = np.zeros(rows.size, dtype=bool)
    df = None
    if test == "knha":
        rss = np.sum(w * (y - mu[:, None]) ** 2, axis=1)
        flat = rss <= sys.float_info.epsilon  # rma: the z-test where knha is undefined
        var_mu = np.where(flat, var_mu, var_mu * rss / (k - 1))
        df = k - 1
    se = np.sqrt(var_mu)
    stat = mu / se
    z_crit = float(special.ndtri(0.5 + level / 2))
    crit = np.full(rows.size, z_crit)
    pval = 2 * special.ndtr(-np.abs(stat))
    if df is not None:
        crit[~flat] = float(special.stdtrit(df, 0.5 + level / 2))
        pval[~flat] = 2 * special.stdtr(df, -np.abs(stat[~flat]))
    w0 = 1 / v  # QE, I² and H² as rma's _heterogeneity (the equal-effects weights)
    s0 = w0.sum(axis=1)
    r0 = y - (np.sum(w0 * y, axis=1) / s0)[:, None]
    qe = np.maximum(0.0, np.sum(w0 * r0 * r0, axis=1))  # multiplied in the order of InterceptProjection.rss
    qep = special.chdtrc(k - 1, qe)
    vt = (k - 1) / np.sum(w0 * _others(w0) / s0[:, None], axis=1)
    half = crit * np.sqrt(var_mu + tau2)
    weights = 100 * w / sw[:, None]
    wide = v.max(axis=1) / v.min(axis=1) >= 1e7
    # Python floats from whole columns at once (tolist gives each element's exact value, as float() does):
    # building thousands of Fit objects element by element cost as much as the fits themselves.
    i2 = (100 * tau2 / (vt + tau2)).tolist()
    h2 = (tau2 / vt + 1).tolist()
    lows, highs = (mu - crit * se).tolist(), (mu + crit * se).tolist()
    pi_lows, pi_highs = (mu - half).tolist(), (mu + half).tolist()
    columns = zip(rows.tolist(), mu.tolist(), se.tolist(), lows, highs, (mu / se).tolist(), pval.tolist(),
                  i2, h2, qe.tolist(), qep.tolist(), pi_lows, pi_highs, weights.tolist(), wide.tolist(),
                  flat.tolist())
    for i, m, s, lb, ub, z, p, i2_, h2_, q, qp, pl, pu, wts, is_wide, is_flat in columns:
        est = estimates[i]
        notes = ["ratio of largest to smallest sampling variance is extremely large; "
                 "results may be unstable (metafor warns too)"] if is_wide else []
        notes.extend(est.notes)
        plain = is_flat or df is None
        if is_flat and df is not None:
            notes.append("knha undefined: all estimates identical (residual Q = 0); used the z-test")
        out[i] = Fit(method, test, level, k, m, s, lb, ub, z, p, est.tau2, est.se_tau2, i2_, h2_, q, qp, pl, pu,
                     None if plain else df, tuple(wts), True, method, tuple(notes), "z" if plain else "knha")
    return out


def rma_many(problems, method: str, test: str, level: float) -> list[Fit]:
    """``[rma(y, v, method, test, level) for y, v in problems]``: the problems of one size fitted at once.

    A build fits tens of thousands of small models (leave-one-out, control risks), whose cost is numpy's
    per-call overhead: the problems with the same number of studies go into one :func:`rma_rows` call.
    Each row is its own iteration with sums along its own row, so every fit is that problem's ``rma``.
    """
    check_choice("method", method, RMA_METHODS)
    check_choice("test", test, TESTS)
    check_level(level)
    return rma_checked([effect_vectors(yi, vi) for yi, vi in problems], method, test, level)


def rma_checked(problems: list[tuple[np.ndarray, np.ndarray]], method: str, test: str, level: float) -> list[Fit]:
    """:func:`rma_many` for vectors :func:`.validation.effect_vectors` has checked, and a checked method,
    test and level (leave-one-out checks an analysis once, not each of its k rows)."""
    out: list[Fit | None] = [None] * len(problems)
    sizes: dict[int, list[int]] = {}
    for n, (y, v) in enumerate(problems):
        if method not in METHODS or y.size < 2:
            out[n] = rma(y, v, method=method, test=test, level=level)
        else:
            sizes.setdefault(y.size, []).append(n)
    for members in sizes.values():
        fits = rma_rows(np.stack([problems[n][0] for n in members]), np.stack([problems[n][1] for n in members]),
                        method, test, level)
        for n, fit in zip(members, fits):
            out[n] = fit
    return out
