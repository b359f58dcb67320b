"""Input checks shared by the fitting functions: one clear ValueError each,
naming the argument and, for the data, the row (1-based)."""

from __future__ import annotations

import numpy as np


def check_choice(name: str, value, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
    return float(level)


def effect_vectors(yi, vi) -> tuple[np.ndarray, np.ndarray]:
    """yi and vi as float vectors: non-empty, equal lengths, finite, vi > 0."""
    try:
        y = np.asarray(yi, dtype=float).reshape(-1)
        v = np.asarray(vi, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError("yi and vi must be sequences of numbers") from None
    if y.size == 0:
        raise ValueError("no studies: yi is empty")
    if y.size != v.size:
        raise ValueError(f"yi and vi have different lengths ({y.size} and {v.size})")
    # One test of every value first (a build checks ~100,000 vectors, nearly all good); the row only on failure.
    if np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all():
        return y, v
    for name, a in (("yi", y), ("vi", v)):
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise ValueError(f"{name} contains a non-finite value (NaN or inf) in row {bad[0] + 1}")
    bad = np.flatnonzero(v <= 0)
    if bad.size:
        raise ValueError(f"every sampling variance vi must be > 0; row {bad[0] + 1} has {v[bad[0]]:g}")
    return y, v
