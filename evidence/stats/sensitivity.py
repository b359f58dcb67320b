"""Sensitivity analyses: leave-one-out and refitting a subset of studies.

Leave-one-out refits the same model k times, each time without one study,
as metafor's ``leave1out()`` (Viechtbauer & Cheung 2010, Res. Synth.
Methods 1(2)); a subset fit (e.g. randomised trials only) is the same model
on the selected studies (Borenstein et al. 2009, ch. 19, subgroup analyses).
"""

from __future__ import annotations

import numpy as np

from . import rowwise
from .rma import METHODS, TESTS, Fit, rma
from .validation import check_choice, check_level, effect_vectors


def _arrays(yi, vi):
    y = np.asarray(yi, dtype=float).reshape(-1)
    v = np.asarray(vi, dtype=float).reshape(-1)
    if y.size != v.size:
        raise ValueError(f"yi and vi have different lengths ({y.size} and {v.size})")
    return y, v


def leave_one_out(yi, vi, labels, method="REML", test="z", level=0.95) -> list[tuple[object, Fit]]:
    """``(label, fit without that study)`` for every study; empty when k < 2.

    metafor ``leave1out()`` (Viechtbauer & Cheung 2010): same method, test
    and level as the full model.
    """
    y, v = _arrays(yi, vi)
    labels = list(labels)
    if len(labels) != y.size:
        raise ValueError(f"labels ({len(labels)}) and studies ({y.size}) differ in number")
    if y.size < 2:
        return []
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    check_level(level)
    if method not in rowwise.METHODS or y.size < 3:
        return [(label, rma(y[keep], v[keep], method=method, test=test, level=level))
                for label, keep in zip(labels, _without_each(y.size))]
    # Fisher scoring for all k fits at once (the build's ~100,000 refits); each row is its scalar fit.
    y, v = effect_vectors(y, v)  # what each scalar fit would check
    masks = _without_each(y.size)
    ys, vs = np.stack([y[m] for m in masks]), np.stack([v[m] for m in masks])
    return list(zip(labels, rowwise.rma_rows(ys, vs, method, test, level)))


def _without_each(k: int) -> list[np.ndarray]:
    return [np.arange(k) != i for i in range(k)]


def subset_fit(yi, vi, mask, method="REML", test="z", level=0.95) -> Fit | None:
    """The model on the studies where ``mask`` is true; None if none is.

    A subgroup analysis by refitting (Borenstein et al. 2009, ch. 19), e.g.
    randomised trials only.
    """
    y, v = _arrays(yi, vi)
    m = np.asarray(mask, dtype=bool).reshape(-1)
    if m.size != y.size:
        raise ValueError(f"mask ({m.size}) and studies ({y.size}) differ in length")
    if not m.any():
        return None
    return rma(y[m], v[m], method=method, test=test, level=level)
