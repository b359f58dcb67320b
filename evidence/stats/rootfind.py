"""Brent's root finder exactly as R's ``uniroot()`` runs it.

metafor's Paule-Mandel estimator calls ``uniroot(..., tol=.Machine$double.eps^0.25,
maxiter=100)``. That tolerance (about 1.2e-4) is loose, so the root metafor
reports depends on the exact sequence of Brent steps; to agree with it to
1e-6 we replay R's algorithm step for step rather than solve to machine
precision. Source: R ``src/library/stats/src/zeroin.c`` (``R_zeroin2``), after
Brent (1973), *Algorithms for Minimization without Derivatives*, ch. 4, and
Forsythe, Malcolm & Moler (1977).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

EPSILON = sys.float_info.epsilon
R_UNIROOT_TOL = EPSILON ** 0.25
_DBL_MAX = sys.float_info.max


@dataclass(frozen=True)
class Root:
    root: float
    iterations: int  # -1 when maxiter was reached (R: a warning, not an error)
    precision: float


def _finite(value: float) -> float:
    # R's zeroin2 wrapper maps +/-Inf to +/-DBL_MAX and rejects NaN.
    if value != value:
        raise ValueError("function value is NaN in root search")
    if value == float("inf"):
        return _DBL_MAX
    if value == float("-inf"):
        return -_DBL_MAX
    return value


def uniroot(f: Callable[[float], float], lower: float, upper: float,
            tol: float = R_UNIROOT_TOL, maxiter: int = 1000) -> Root:
    """Root of ``f`` in [lower, upper] (R ``uniroot`` with ``extendInt="no"``).

    The end points must bracket a sign change, as in R.
    """
    fa, fb = _finite(f(lower)), _finite(f(upper))
    if fa * fb > 0:
        raise ValueError("f() values at end points not of opposite sign")
    return _zeroin2(f, lower, upper, fa, fb, tol, maxiter)


def _zeroin2(f, ax, bx, fa, fb, tol, maxiter) -> Root:
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return Root(a, 0, 0.0)
    if fb == 0.0:
        return Root(b, 0, 0.0)
    remaining = maxiter + 1
    while remaining:
        remaining -= 1
        prev_step = b - a
        if abs(fc) < abs(fb):
            # keep b the best approximation
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPSILON * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return Root(b, maxiter - remaining, abs(c - b))
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # two distinct points: secant step
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = _finite(f(b))
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return Root(b, -1, abs(c - b))
