"""Row-wise fits (leave-one-out's batched path) equal the scalar rma fit of each row."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from evidence.stats import rowwise, sensitivity
from evidence.stats.rma import rma

FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "stat", "pval", "tau2", "se_tau2", "I2", "H2", "QE", "QEp",
          "pi_lb", "pi_ub")


def _same(fit, ref):
    a, b = dataclasses.asdict(fit), dataclasses.asdict(ref)
    for name in ("k", "df", "method_used", "test_used", "converged", "notes", "method", "test", "level"):
        assert a[name] == b[name], name
    for name in FIELDS:
        if b[name] is None:
            assert a[name] is None, name
        else:
            assert math.isclose(a[name], b[name], rel_tol=1e-12, abs_tol=1e-300), (name, a[name], b[name])
    assert np.allclose(a["weights"], b["weights"], rtol=1e-12, atol=0)


CASES = {
    "heterogeneous": ([0.1, 0.5, 0.3, 0.9, -0.2, 0.4], [0.02, 0.03, 0.05, 0.04, 0.01, 0.06]),
    "homogeneous (tau² at 0, steps halved from 0)": ([0.1, 0.11, 0.09, 0.1, 0.105], [0.2, 0.3, 0.25, 0.2, 0.3]),
    "identical estimates (knha undefined)": ([0.3, 0.3, 0.3, 0.3], [0.02, 0.03, 0.05, 0.04]),
    "extreme variance ratio": ([0.1, 0.5, 0.3, 0.9], [1e-9, 0.03, 0.05, 0.04]),
    "k = 3": ([0.1, 0.8, -0.4], [0.01, 0.02, 0.015]),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("method", rowwise.METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_leave_one_out_equals_each_scalar_fit(case, method, test):
    y, v = CASES[case]
    out = sensitivity.leave_one_out(y, v, range(len(y)), method, test)
    assert len(out) == len(y)
    for i, (label, fit) in enumerate(out):
        assert label == i
        _same(fit, rma(np.delete(y, i), np.delete(v, i), method=method, test=test))


def test_random_rows_equal_scalar_fits():
    rng = np.random.default_rng(3)
    for k in (2, 4, 9, 25):
        y = rng.normal(0.2, 0.4, (40, k))
        v = rng.uniform(0.005, 0.3, (40, k))
        for method in rowwise.METHODS:
            for fit, i in zip(rowwise.rma_rows(y, v, method, "knha", 0.9), range(40)):
                _same(fit, rma(y[i], v[i], method=method, test="knha", level=0.9))


#: A row whose REML Fisher scoring oscillates past metafor's 100 iterations (one leave-one-out fit of the
#: synthetic 100k benchmark corpus): rma falls back to DL and says so.
NOT_CONVERGING = ([-1.2399999999999993, 2.819999999999993, 16.43, 2.3099999999999987, 1.0144813165420588],
                  [3.6696435294117653, 1.4519095238095239, 23.46271584821428, 2.0470106746031744, 2.0426087058600104])


def test_a_row_that_does_not_converge_is_finished_as_rma_finishes_it():
    y = np.array([NOT_CONVERGING[0], [0.1, 0.5, 0.3, 0.9, -0.2]])  # the second row converges
    v = np.array([NOT_CONVERGING[1], [0.02, 0.03, 0.05, 0.04, 0.01]])
    first, second = rowwise.fisher_scoring_rows(y, v, "REML")
    assert (first.converged, first.iterations, first.se_tau2) == (False, 101, None)
    assert second.converged
    fits = rowwise.rma_rows(y, v, "REML", "z", 0.95)
    assert fits[0].method_used == "DL" and "REML did not converge (Fisher scoring, 101 iterations); used DL" \
        in fits[0].notes
    for fit, i in zip(fits, range(2)):
        _same(fit, rma(y[i], v[i], method="REML"))


def test_leave_one_out_names_a_bad_value():
    with pytest.raises(ValueError, match="row 2"):
        sensitivity.leave_one_out([0.1, 0.2, 0.3], [0.1, 0.0, 0.1], "abc", "REML", "z")
    with pytest.raises(ValueError, match="method"):
        sensitivity.leave_one_out([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], "abc", "XX", "z")


@pytest.mark.parametrize("method", ["REML", "ML", "EB", "DL"])
def test_many_problems_of_several_sizes_equal_their_own_fits(method):
    rng = np.random.default_rng(5)
    problems = [(rng.normal(0.2, 0.4, k), rng.uniform(0.005, 0.3, k)) for k in (1, 2, 2, 3, 5, 5, 5, 9, 2)]
    problems.append(NOT_CONVERGING)
    fits = rowwise.rma_many(problems, method, "knha", 0.9)
    assert len(fits) == len(problems)
    for fit, (y, v) in zip(fits, problems):
        _same(fit, rma(y, v, method=method, test="knha", level=0.9))


def test_many_problems_name_a_bad_value():
    with pytest.raises(ValueError, match="row 2"):
        rowwise.rma_many([([0.1, 0.2], [0.1, 0.1]), ([0.1, 0.2], [0.1, -1.0])], "REML", "z", 0.95)
    with pytest.raises(ValueError, match="method"):
        rowwise.rma_many([([0.1, 0.2], [0.1, 0.1])], "XX", "z", 0.95)
