"""The radix argsort the index writer uses is numpy's stable argsort, ties in order."""

from __future__ import annotations

import numpy as np
import pytest

from evidence.arrays import stable_argsort


@pytest.mark.parametrize("low, high", [(0, 50), (70_000, 70_100), (0, 300_000), (0, 2 ** 32 - 1)])
def test_same_order_as_numpys_stable_sort(low, high):
    rng = np.random.default_rng(7)
    values = rng.integers(low, high, size=20_000, dtype=np.int64).astype(np.uint32 if high >= 2 ** 31 else np.int32)
    expected = np.argsort(values, kind="stable")
    assert np.array_equal(stable_argsort(values), expected)


def test_ties_keep_their_order_across_both_digits():
    values = np.array([65_536, 1, 65_536, 0, 1, 131_073, 65_537, 0], dtype=np.int32)
    assert stable_argsort(values).tolist() == [3, 7, 1, 4, 0, 2, 6, 5]


def test_empty_and_single():
    assert stable_argsort(np.zeros(0, dtype=np.int32)).tolist() == []
    assert stable_argsort(np.array([5], dtype=np.int32)).tolist() == [0]
