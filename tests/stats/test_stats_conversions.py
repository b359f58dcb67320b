"""Conversions: round trips against their defining formulas."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evidence.stats import conversions as cv
from evidence.stats.escalc import EffectSize, EffectSizeError, escalc


def test_se_from_ci_natural_and_log_scale():
    assert cv.se_from_ci(0.1, 0.5) == pytest.approx(0.4 / (2 * stats.norm.ppf(0.975)))
    assert cv.se_from_ci(0.5, 2.0, log_scale=True) == pytest.approx(math.log(4) / (2 * 1.959963984540054))
    assert cv.se_from_ci(0.1, 0.5, level=0.9) == pytest.approx(0.4 / (2 * stats.norm.ppf(0.95)))


@pytest.mark.parametrize(("args", "kwargs"), [
    ((0.5, 0.1), {}), ((0.1, 0.5), {"level": 1.5}), ((-0.1, 0.5), {"log_scale": True}),
    ((float("nan"), 0.5), {}),
])
def test_se_from_ci_rejects(args, kwargs):
    with pytest.raises(EffectSizeError):
        cv.se_from_ci(*args, **kwargs)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(est=st.floats(-5, 5).filter(lambda x: abs(x) > 1e-3), se=st.floats(0.01, 5))
def test_se_from_p_inverts_the_wald_test(est, se):
    p = 2 * stats.norm.sf(abs(est / se))
    if not 1e-300 < p < 1:
        return
    assert cv.se_from_p(est, p) == pytest.approx(se, rel=1e-6)
    assert cv.se_from_p(est, p / 2, two_sided=False) == pytest.approx(se, rel=1e-6)


@pytest.mark.parametrize(("est", "p"), [(0.5, 0.0), (0.5, 1.0), (0.0, 0.3), (0.5, 1.2)])
def test_se_from_p_rejects(est, p):
    with pytest.raises(EffectSizeError):
        cv.se_from_p(est, p)


def test_smd_from_t_equals_smd_from_means():
    m1, s, n1, m2, n2 = 10.0, 2.0, 15, 9.0, 20
    sp = s  # equal SDs: pooled SD = s
    t = (m1 - m2) / (sp * math.sqrt(1 / n1 + 1 / n2))
    from_t = cv.smd_from_t(t, n1, n2)
    from_means = escalc("SMD", m1i=m1, sd1i=s, n1i=n1, m2i=m2, sd2i=s, n2i=n2)
    assert (from_t.yi, from_t.vi) == pytest.approx((from_means.yi, from_means.vi), rel=1e-12)
    assert from_t.measure == "SMD" and from_t.conversions


def test_smd_from_f_is_signed_t():
    f = cv.smd_from_f(4.0, 12, 14, -1)
    t = cv.smd_from_t(-2.0, 12, 14)
    assert (f.yi, f.vi) == (t.yi, t.vi)
    with pytest.raises(EffectSizeError, match="direction"):
        cv.smd_from_f(4.0, 12, 14, 0)
    with pytest.raises(EffectSizeError, match="f"):
        cv.smd_from_f(-1.0, 12, 14, 1)


def test_reported_ratio():
    es = cv.reported_ratio(0.8, 0.6, 1.1, "RR")
    assert es.measure == "RR" and es.yi == pytest.approx(math.log(0.8))
    assert math.sqrt(es.vi) == pytest.approx((math.log(1.1) - math.log(0.6)) / (2 * stats.norm.ppf(0.975)))
    with pytest.raises(EffectSizeError):
        cv.reported_ratio(1.5, 0.6, 1.1, "OR")
    with pytest.raises(EffectSizeError):
        cv.reported_ratio(0.8, 0.6, 1.1, "MD")


def test_or_smd_round_trip_logit_and_normal():
    es = EffectSize("OR", 0.9, 0.1)
    for to_smd, factor in ((cv.or_to_smd_logit, math.sqrt(3) / math.pi), (cv.or_to_smd_normal, 1 / 1.65)):
        d = to_smd(es)
        assert d.measure == "SMD"
        assert (d.yi, d.vi) == pytest.approx((0.9 * factor, 0.1 * factor ** 2))
        assert to_smd(0.9, 0.1) == EffectSize("SMD", d.yi, d.vi, d.conversions)


def test_smd_to_or_variance_formula():
    d, n1, n2 = 0.4, 30, 40
    base = 1 / n1 + 1 / n2 + d * d / (2 * (n1 + n2))
    lg = cv.smd_to_or_logit(d, n1, n2)
    nm = cv.smd_to_or_normal(d, n1, n2)
    assert (lg.yi, lg.vi) == pytest.approx((math.pi / math.sqrt(3) * d, math.pi ** 2 / 3 * base))
    assert (nm.yi, nm.vi) == pytest.approx((1.65 * d, 1.65 ** 2 * base))
    assert lg.measure == nm.measure == "OR"
