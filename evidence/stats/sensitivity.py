"""Sensitivity analyses: leave-one-out and refitting a subset of studies.

Leave-one-out refits the same model k times, each time without one study,
as metafor's ``leave1out()`` (Viechtbauer & Cheung 2010, Res. Synth.
Methods 1(2)); a subset fit (e.g. randomised trials only) is the same model
on the selected studies (Borenstein et al. 2009, ch. 19, subgroup analyses).
"""

from __future__ import annotations

import numpy as np

from .rma import Fit, rma


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
    keep = np.ones(y.size, dtype=bool)
    out = []
    for i, label in enumerate(labels):
        keep[i] = False
        out.append((label, rma(y[keep], v[keep], method=method, test=test, level=level)))
        keep[i] = True
    return out


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
