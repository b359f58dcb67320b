"""escalc: zero cells, formulas by hand, validation, and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evidence.stats.escalc import (
    MEASURES,
    ZERO_CELL_NOTE,
    EffectSize,
    EffectSizeError,
    escalc,
    escalc_many,
    hedges_correction,
)

counts = st.integers(0, 2000)


def test_measures_constant():
    assert MEASURES == ("RR", "OR", "RD", "MD", "SMD", "ROM", "GEN")


def test_log_odds_ratio_by_hand():
    es = escalc("OR", ai=4, bi=119, ci=11, di=128)
    assert es == EffectSize("OR", math.log((4 / 119) / (11 / 128)), 1 / 4 + 1 / 119 + 1 / 11 + 1 / 128, ())


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_zero_cell_adds_half_to_every_cell(measure):
    zero = escalc(measure, ai=0, bi=10, ci=5, di=5)
    shifted = escalc(measure, ai=0.5, bi=10.5, ci=5.5, di=5.5)
    assert (zero.yi, zero.vi) == pytest.approx((shifted.yi, shifted.vi), rel=1e-15)
    assert zero.conversions == (ZERO_CELL_NOTE,)


def test_no_correction_without_zero_cell():
    assert escalc("RR", ai=1, bi=10, ci=5, di=5).conversions == ()


def test_double_zero_table_is_kept_with_correction():
    es = escalc("RR", ai=0, n1i=20, ci=0, n2i=40)
    assert es.yi == pytest.approx(math.log((0.5 / 21) / (0.5 / 41)))
    assert es.vi == pytest.approx(1 / 0.5 - 1 / 21 + 1 / 0.5 - 1 / 41)


def test_all_events_risk_difference():
    es = escalc("RD", ai=10, bi=0, ci=10, di=0)
    assert es.yi == 0.0 and es.vi > 0


def test_group_size_form_equals_cell_form():
    a = escalc("OR", ai=3, n1i=20, ci=7, n2i=25)
    b = escalc("OR", ai=3, bi=17, ci=7, di=18)
    assert a == b


def test_smd_exact_correction_and_variance():
    es = escalc("SMD", m1i=10, sd1i=2, n1i=10, m2i=9, sd2i=2, n2i=12)
    m = 20
    c = math.gamma(m / 2) / (math.sqrt(m / 2) * math.gamma((m - 1) / 2))
    g = c * 0.5
    assert es.yi == pytest.approx(g, rel=1e-13)
    assert es.vi == pytest.approx(1 / 10 + 1 / 12 + g * g / 44, rel=1e-13)


@pytest.mark.parametrize("m", [2, 5, 30, 300, 3000])
def test_hedges_correction_close_to_approximation(m):
    # Hedges (1981): c(m) ~ 1 - 3/(4m - 1), increasingly exact for large m
    assert hedges_correction(m) == pytest.approx(1 - 3 / (4 * m - 1), rel=0.03 / m)


def test_rom_and_md():
    rom = escalc("ROM", m1i=12, sd1i=3, n1i=20, m2i=10, sd2i=4, n2i=25)
    assert rom.yi == pytest.approx(math.log(1.2))
    assert rom.vi == pytest.approx(9 / (20 * 144) + 16 / (25 * 100))
    md = escalc("MD", m1i=12, sd1i=3, n1i=20, m2i=10, sd2i=4, n2i=25)
    assert (md.yi, md.vi) == pytest.approx((2, 9 / 20 + 16 / 25))


def test_precomputed_with_se():
    es = escalc("SMD", yi=0.3, sei=0.2)
    assert es.vi == pytest.approx(0.04) and es.conversions


@pytest.mark.parametrize(("kwargs", "word"), [
    (dict(measure="RR", ai=1, n1i=0, ci=1, n2i=5), "n1i"),
    (dict(measure="RR", ai=6, n1i=5, ci=1, n2i=5), "ai"),
    (dict(measure="OR", ai=-1, bi=3, ci=1, di=3), "ai"),
    (dict(measure="OR", ai=1, bi=3, ci=1, di=float("nan")), "di"),
    (dict(measure="OR", ai=0, bi=0, ci=1, di=3), "n1i"),
    (dict(measure="OR", ai=1, bi=3, n1i=5, ci=1, di=3), "n1i"),
    (dict(measure="SMD", m1i=1, sd1i=0, n1i=5, m2i=1, sd2i=1, n2i=5), "sd1i"),
    (dict(measure="MD", m1i=1, sd1i=1, n1i=5, m2i=1, sd2i=-2, n2i=5), "sd2i"),
    (dict(measure="SMD", m1i=1, sd1i=1, n1i=1, m2i=1, sd2i=1, n2i=2), "n1i + n2i"),
    (dict(measure="ROM", m1i=0, sd1i=1, n1i=5, m2i=1, sd2i=1, n2i=5), "m1i"),
    (dict(measure="GEN", yi=0.1, vi=0), "vi"),
    (dict(measure="GEN", yi=0.1, sei=-1), "sei"),
    (dict(measure="GEN", yi=float("inf"), vi=1), "yi"),
    (dict(measure="XYZ", yi=0.1, vi=1), "measure"),
])
def test_invalid_input_names_the_argument(kwargs, word):
    with pytest.raises(EffectSizeError, match=word.replace("+", r"\+")):
        escalc(**kwargs)


def test_effect_size_error_is_value_error():
    assert issubclass(EffectSizeError, ValueError)


def test_escalc_many_matches_single_and_reports_row():
    yi, vi = escalc_many("RR", ai=[1, 0], bi=[9, 10], ci=[2, 3], di=[8, 7])
    one = escalc("RR", ai=0, bi=10, ci=3, di=7)
    assert (yi[1], vi[1]) == (one.yi, one.vi)
    with pytest.raises(EffectSizeError, match="row 1"):
        escalc_many("RR", ai=[1, 5], n1i=[9, 4], ci=[2, 3], n2i=[8, 7])
    with pytest.raises(EffectSizeError, match="equal lengths"):
        escalc_many("RR", ai=[1], bi=[9, 10], ci=[2, 3], di=[8, 7])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(measure=st.sampled_from(["RR", "OR", "RD"]), a=counts, b=counts, c=counts, d=counts)
def test_any_valid_table_gives_finite_effect(measure, a, b, c, d):
    assume(a + b > 0 and c + d > 0)
    es = escalc(measure, ai=a, bi=b, ci=c, di=d)
    assert math.isfinite(es.yi) and math.isfinite(es.vi) and es.vi > 0
    assert (ZERO_CELL_NOTE in es.conversions) == (0 in (a, b, c, d))
    assert es == escalc(measure, ai=a, n1i=a + b, ci=c, n2i=c + d)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(measure=st.sampled_from(["MD", "SMD", "ROM"]),
       m1=st.floats(1e-3, 1e5), m2=st.floats(1e-3, 1e5),
       s1=st.floats(1e-3, 1e4), s2=st.floats(1e-3, 1e4),
       n1=st.integers(2, 5000), n2=st.integers(2, 5000))
def test_any_valid_means_give_finite_effect(measure, m1, m2, s1, s2, n1, n2):
    es = escalc(measure, m1i=m1, sd1i=s1, n1i=n1, m2i=m2, sd2i=s2, n2i=n2)
    assert math.isfinite(es.yi) and math.isfinite(es.vi) and es.vi > 0
    # swapping the groups flips the sign of every measure (log ratio included)
    swapped = escalc(measure, m1i=m2, sd1i=s2, n1i=n2, m2i=m1, sd2i=s1, n2i=n1)
    assert swapped.yi == pytest.approx(-es.yi, rel=1e-9, abs=1e-12)
    assert swapped.vi == pytest.approx(es.vi, rel=1e-9)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(n=st.integers(1, 100), extra=st.integers(1, 50))
def test_events_above_group_size_always_rejected(n, extra):
    with pytest.raises(EffectSizeError, match="larger than"):
        escalc("OR", ai=n + extra, n1i=n, ci=0, n2i=10)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(y=st.floats(-1e6, 1e6), v=st.floats(-1e6, 0.0))
def test_non_positive_variance_always_rejected(y, v):
    with pytest.raises(EffectSizeError, match="vi"):
        escalc("GEN", yi=y, vi=v)


def test_escalc_many_is_vectorised_same_values():
    rng = np.random.default_rng(3)
    a, c = rng.integers(0, 20, 30), rng.integers(0, 20, 30)
    n1, n2 = a + rng.integers(0, 20, 30) + 1, c + rng.integers(0, 20, 30) + 1
    yi, vi = escalc_many("OR", ai=a, n1i=n1, ci=c, n2i=n2)
    for i in range(30):
        one = escalc("OR", ai=a[i], n1i=n1[i], ci=c[i], n2i=n2[i])
        assert (yi[i], vi[i]) == (one.yi, one.vi)
