"""Array helpers the build's writers share (pure numpy)."""

from __future__ import annotations

import numpy as np


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of non-negative integers below 2³², about 3× faster.

    numpy sorts 16-bit integers stably by radix (linear time) and wider ones
    by merge sort; this sorts by the low 16-bit digit, then stably by the high
    one (least significant digit first, so ties keep their order), after
    subtracting the smallest value: values that span fewer than 2¹⁶ (the
    terms of one block of postings, consecutive ids) need one pass.
    """
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0:
        return np.zeros(0, dtype=np.intp)
    v = v - v.min()
    order = np.argsort((v & 0xFFFF).astype(np.uint16), kind="stable")
    if v.max() >> 16:
        order = order[np.argsort((v >> 16).astype(np.uint16)[order], kind="stable")]
    return order
