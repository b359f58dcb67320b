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
    return leave_one_out_many([(yi, vi, labels, method, test, level)])[0]


def leave_one_out_many(problems) -> list[list[tuple[object, Fit]]]:
    """``[leave_one_out(*p) for p in problems]``, for ``(yi, vi, labels, method, test, level)`` tuples.

    A build asks for tens of thousands of small leave-one-out analyses, whose
    cost is numpy's per-call overhead: the rows of every analysis with the
    same method, test and level go to one :func:`rowwise.rma_checked` call,
    which fits the rows of one size together (Fisher scoring for all of them
    at once). Each row is computed as it would be alone (its own iteration,
    sums along its own row), so every fit is the scalar
    :func:`evidence.stats.rma.rma` of that row.
    """
    out: list[list[tuple[object, Fit]] | None] = [None] * len(problems)
    rows: dict[tuple, list[tuple[np.ndarray, np.ndarray]]] = {}
    wanted: list[tuple[int, tuple, int, list]] = []  # (problem, its choice, its first row, its labels)
    for n, (yi, vi, labels, method, test, level) in enumerate(problems):
        y, v = _arrays(yi, vi)
        labels = list(labels)
        if len(labels) != y.size:
            raise ValueError(f"labels ({len(labels)}) and studies ({y.size}) differ in number")
        if y.size < 2:
            out[n] = []
            continue
        check_choice("method", method, METHODS)
        check_choice("test", test, TESTS)
        check_level(level)
        y, v = effect_vectors(y, v)  # the study's row, as the caller numbers it, in a message
        choice = (method, test, level)
        mine = rows.setdefault(choice, [])
        wanted.append((n, choice, len(mine), labels))
        mine.extend((y[keep], v[keep]) for keep in _without_each(y.size))
    fits = {choice: rowwise.rma_checked(these, *choice) for choice, these in rows.items()}
    for n, choice, first, labels in wanted:
        out[n] = list(zip(labels, fits[choice][first:first + len(labels)]))
    return out


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
