"""Calculator units, the strength rule, sensitivity analyses, the root finder."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from evidence.stats import sensitivity, strength, units
from evidence.stats.escalc import EffectSizeError
from evidence.stats.rma import rma
from evidence.stats.rootfind import uniroot


def test_scales():
    assert [units.scale_of(m) for m in ("RR", "OR", "ROM", "RD", "MD", "SMD", "GEN")] == \
        ["log"] * 3 + ["identity"] * 4
    assert units.natural_scale("OR", math.log(2)) == pytest.approx(2)
    assert units.natural_scale("SMD", 0.3) == 0.3
    assert units.is_ratio("RR") and not units.is_ratio("RD")


def test_pooled_control_risk_is_reml_on_logit_scale():
    events, totals = [10, 30, 5], [100, 200, 80]
    out = units.pooled_control_risk(events, totals)
    y = [math.log(x / (n - x)) for x, n in zip(events, totals)]
    v = [1 / x + 1 / (n - x) for x, n in zip(events, totals)]
    fit = rma(y, v, method="REML")
    expit = stats.logistic.cdf
    assert tuple(out) == pytest.approx((expit(fit.estimate), expit(fit.ci_lb), expit(fit.ci_ub)))
    risk, low, high = out
    assert low < risk < high and "REML" in out.conversion


def test_pooled_control_risk_zero_events_and_validation():
    risk, low, high = units.pooled_control_risk([0], [50])
    assert risk == pytest.approx(0.5 / 51) and 0 < low < risk < high < 1
    with pytest.raises(EffectSizeError):
        units.pooled_control_risk([60], [50])
    with pytest.raises(EffectSizeError):
        units.pooled_control_risk([], [])


def test_treated_risk_formulas():
    assert units.treated_risk(0.2, "RR", math.log(0.5)) == pytest.approx(0.1)
    odds = 0.25 * 2
    assert units.treated_risk(0.2, "OR", math.log(2)) == pytest.approx(odds / (1 + odds))
    assert units.treated_risk(0.2, "RD", -0.05) == pytest.approx(0.15)
    capped = units.treated_risk(0.8, "RR", math.log(2))
    assert capped == 1.0 and "capped" in capped.conversion
    assert json.dumps(units.treated_risk(0.2, "RD", 0.1)) == json.dumps(0.2 + 0.1)


def test_risk_difference_pp_transforms_bounds_at_fixed_control_risk():
    pp, low, high = units.risk_difference_pp(0.3, "RR", math.log(0.8), math.log(0.6), math.log(1.1))
    assert (pp, low, high) == pytest.approx((-6.0, -12.0, 3.0))
    out = units.risk_difference_pp(0.3, "OR", 0.0, -0.5, 0.5)
    assert out.value == 0 and out.ci_low < 0 < out.ci_high and "percentage points" in out.conversion


@settings(max_examples=100, deadline=None, derandomize=True)
@given(p0=st.floats(0, 1), est=st.floats(-5, 5), lo=st.floats(0, 3), hi=st.floats(0, 3),
       measure=st.sampled_from(["RR", "OR", "RD"]))
def test_risk_difference_bounds_are_ordered(p0, est, lo, hi, measure):
    scale = 0.2 if measure == "RD" else 1
    pp, low, high = units.risk_difference_pp(p0, measure, est * scale, (est - lo) * scale, (est + hi) * scale)
    assert -100 <= low <= pp <= high <= 100


def test_wwc_improvement_index():
    assert units.wwc_improvement_index(0.0) == 0.0
    assert units.wwc_improvement_index(0.25) == pytest.approx(100 * (stats.norm.cdf(0.25) - 0.5))
    assert units.wwc_improvement_index(-0.25) == pytest.approx(-units.wwc_improvement_index(0.25))
    assert "WWC" in units.wwc_improvement_index(0.1).conversion


def test_evidence_level_and_levels():
    assert strength.evidence_level(["quasi-experimental", "rct"]) == 1
    assert strength.evidence_level(["uncontrolled-before-after"]) == 3
    with pytest.raises(ValueError, match="unknown design"):
        strength.evidence_level(["anecdote"])
    with pytest.raises(ValueError):
        strength.evidence_level([])


def test_strength_rule_by_hand():
    top = strength.strength(30, ["rct"] * 30, 5000, 20.0, 0.0)
    assert top.score == 5 and len(top.reasons) == 1
    weak = strength.strength(3, ["uncontrolled-before-after"] * 3, 90, 80.0, 1.0)
    # 2 (k) -1 (not RCTs) -1 (no comparison) -1 (n) -1 (I2) -1 (RoB) -> floor 0
    assert weak.score == 0 and len(weak.reasons) == 6
    unknown = strength.strength(1, ["rct"], None, None, 0.0)
    assert unknown.score == 1 and any("unknown" in r for r in unknown.reasons)
    assert strength.strength(0, [], None, None, None).score == 0


@pytest.mark.parametrize("k", [1, 2, 5, 10, 25])
def test_strength_steps_match_rule_text(k):
    score = strength.strength(k, ["rct"] * k, 10_000, 0.0, 0.0).score
    expected = {1: 1, 2: 2, 5: 3, 10: 4, 25: 5}[k]
    assert score == expected and f"{k - 1 if k > 1 else 1}" in strength.RULE_TEXT_EN
    assert "hængelås" in strength.RULE_TEXT_DA


def test_strength_validation():
    with pytest.raises(ValueError):
        strength.strength(-1, [], None, None, 0)
    with pytest.raises(ValueError):
        strength.strength(2, ["rct", "rct"], 100, 120.0, 0)
    with pytest.raises(ValueError):
        strength.strength(2, ["rct", "rct"], 100, 10.0, 1.5)


def test_leave_one_out_refits_without_each_study():
    y, v = [0.1, 0.5, 0.3, 0.9], [0.02, 0.03, 0.05, 0.04]
    out = sensitivity.leave_one_out(y, v, ["a", "b", "c", "d"], "REML", "knha")
    assert [label for label, _ in out] == ["a", "b", "c", "d"]
    for i, (_, fit) in enumerate(out):
        ref = rma(np.delete(y, i), np.delete(v, i), method="REML", test="knha")
        assert fit == ref
    assert sensitivity.leave_one_out([0.1], [0.1], ["a"], "DL", "z") == []
    with pytest.raises(ValueError):
        sensitivity.leave_one_out(y, v, ["a"], "DL", "z")


def test_subset_fit():
    y, v = [0.1, 0.5, 0.3], [0.02, 0.03, 0.05]
    assert sensitivity.subset_fit(y, v, [False] * 3, "DL", "z") is None
    assert sensitivity.subset_fit(y, v, [True, False, True], "DL", "z") == rma([0.1, 0.3], [0.02, 0.05], method="DL")


@pytest.mark.parametrize(("f", "lo", "hi"), [
    (lambda x: x ** 3 - 2 * x - 5, 2.0, 3.0),
    (lambda x: math.cos(x) - x, 0.0, 1.0),
    (lambda x: math.exp(x) - 10, 0.0, 100.0),
])
def test_uniroot_finds_root_within_tolerance(f, lo, hi):
    exact = optimize.brentq(f, lo, hi, xtol=1e-14)
    r = uniroot(f, lo, hi)
    assert abs(r.root - exact) <= 1.3e-4 and r.iterations > 0
    tight = uniroot(f, lo, hi, tol=1e-12)
    assert tight.root == pytest.approx(exact, abs=1e-11)


def test_uniroot_endpoint_and_bracket_checks():
    assert uniroot(lambda x: x, 0.0, 1.0).root == 0.0
    with pytest.raises(ValueError, match="opposite sign"):
        uniroot(lambda x: x + 1, 0.0, 1.0)
    assert uniroot(lambda x: math.exp(x) - 2, 0.0, 5.0, maxiter=1).iterations == -1
