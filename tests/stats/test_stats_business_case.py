"""The business-case model: closed-form point estimates, Monte Carlo means, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evidence.stats import business_case as bc
from evidence.stats.som import success_rate_pp

# The CBT-for-offenders recidivism parameter (REML, z) as the build gives it.
CBT = bc.Effect("RR", -0.2958603964537313, 0.05069718546533857, tau2=0.060089923099128445)
P0 = 0.3504894606233517


def _assumptions(**kw) -> bc.Assumptions:
    base = dict(participants=100, baseline_risk=P0, desirable="lower", prices={"stat": 1878.0},
                horizon=5, duration=3, fade=0.1, cost=5000.0, cost_year=1, discount_rate=0.035)
    return bc.Assumptions(**{**base, **kw})


def test_point_estimates_equal_the_closed_form():
    a = _assumptions()
    out = bc.business_case(CBT, a, draws=1000, seed=1)
    s = P0 - P0 * math.exp(CBT.estimate)  # fewer reoffenders: p0 − p0·RR
    weights = [1.0, 0.9, 0.81, 0.0, 0.0]
    disc = [1.035 ** -t for t in range(5)]
    for row, m, d in zip(out["years"], weights, disc):
        assert row["effect_weight"] == pytest.approx(m, abs=1e-12)
        assert row["discount_factor"] == pytest.approx(d, rel=1e-12)
        assert row["events_avoided"]["estimate"] == pytest.approx(100 * s * m, rel=1e-9, abs=1e-12)
        assert row["savings"]["stat"]["estimate"] == pytest.approx(100 * s * m * 1878, rel=1e-9, abs=1e-9)
    totals = out["totals"]
    saving = sum(100 * s * m * 1878 * d for m, d in zip(weights, disc))
    assert totals["present_value"]["stat"]["estimate"] == pytest.approx(saving, rel=1e-9)
    assert totals["present_value"]["kommune"]["estimate"] == pytest.approx(-100 * 5000, rel=1e-9)
    assert totals["present_value"]["total"]["estimate"] == pytest.approx(saving - 500_000, rel=1e-9)
    assert totals["net"]["total"]["estimate"] == pytest.approx(100 * s * 2.71 * 1878 - 500_000, rel=1e-9)
    assert out["success_rate_pp"]["estimate"] == pytest.approx(100 * s, rel=1e-12)
    # the kommune pays and the state saves: the kommune never gains, so P(net > 0) is exactly 0 there
    assert totals["probability_net_positive"]["kommune"] == 0.0
    assert 0 <= totals["probability_net_positive"]["total"] <= 1


def test_success_rate_matches_the_som_bridge():
    rd_pp, lo, hi = -8.976341041746188, -11.442484031973683, -6.252562610831902
    assert success_rate_pp(rd_pp, lo, hi, "lower") == (8.976341041746188, 6.252562610831902, 11.442484031973683)
    assert success_rate_pp(rd_pp, lo, hi, "higher") == (rd_pp, lo, hi)
    assert success_rate_pp(None, None, None, "lower") == (None, None, None)
    s = bc.success_rate("RR", CBT.estimate, P0, "lower")
    assert 100 * float(s) == pytest.approx(-rd_pp, rel=1e-9)


def test_monte_carlo_mean_matches_the_expectation_of_the_lognormal():
    """E[p0 − p0·exp θ] = p0·(1 − exp(est + se²/2)) for θ ~ N(est, se²); within 4 Monte Carlo SEs."""
    a = _assumptions(duration=1, fade=0.0, cost=0.0, horizon=1, prices={"stat": 1.0}, participants=1)
    n = 40_000
    out = bc.business_case(CBT, a, draws=n, seed=7)
    expected = P0 * (1 - math.exp(CBT.estimate + CBT.se ** 2 / 2))
    sd = P0 * math.exp(CBT.estimate) * CBT.se  # delta-method SD of s, for the tolerance
    assert out["totals"]["events_avoided"]["mean"] == pytest.approx(expected, abs=4 * sd / math.sqrt(n))
    # the mean differs from the point estimate by the lognormal bias, which the test can see
    assert out["totals"]["events_avoided"]["mean"] != out["totals"]["events_avoided"]["estimate"]


def test_prediction_interval_adds_tau2_and_t_uses_df():
    a = _assumptions(duration=1, fade=0.0, cost=0.0, horizon=1, prices={"kommune": 1.0}, participants=1)
    effect = bc.Effect("RD", -0.05, 0.01, tau2=0.0004, omega2=0.0005)
    n = 40_000
    ci = bc.business_case(effect, a, "ci", draws=n, seed=3)
    pi = bc.business_case(effect, a, "pi", draws=n, seed=3)
    assert pi["monte_carlo"]["scale"] == pytest.approx(math.sqrt(0.01 ** 2 + 0.0004 + 0.0005), rel=1e-12)
    # RD, lower is better: s = −θ exactly (no capping this far from 0 and 1), so E[s] = 0.05
    for out, scale in ((ci, 0.01), (pi, pi["monte_carlo"]["scale"])):
        assert out["success_rate_pp"]["mean"] == pytest.approx(5.0, abs=400 * scale / math.sqrt(n))
        half = (out["success_rate_pp"]["high"] - out["success_rate_pp"]["low"]) / 2
        assert half == pytest.approx(100 * 1.959964 * scale, rel=0.03)
    t = bc.business_case(bc.Effect("RD", -0.05, 0.01, df=4), a, "ci", draws=n, seed=3)
    assert t["monte_carlo"]["distribution"] == "t(4)"
    half = (t["success_rate_pp"]["high"] - t["success_rate_pp"]["low"]) / 2
    assert half == pytest.approx(100 * 2.776445 * 0.01, rel=0.04)  # qt(0.975, 4)


def test_same_seed_same_answer_other_seed_other_draws():
    a = _assumptions()
    one, two = bc.business_case(CBT, a, seed=11, draws=2000), bc.business_case(CBT, a, seed=11, draws=2000)
    assert one == two
    other = bc.business_case(CBT, a, seed=12, draws=2000)
    assert other["totals"]["net"]["total"]["mean"] != one["totals"]["net"]["total"]["mean"]
    assert other["totals"]["net"]["total"]["estimate"] == one["totals"]["net"]["total"]["estimate"]


def test_intervals_bracket_the_mean_and_discounting_lowers_later_years():
    out = bc.business_case(CBT, _assumptions(duration=5, fade=0.0), draws=5000, seed=2)
    for row in out["years"]:
        net = row["net"]["stat"]
        assert net["low"] < net["mean"] < net["high"]
    pv, net = out["totals"]["present_value"]["stat"]["estimate"], out["totals"]["net"]["stat"]["estimate"]
    assert 0 < pv < net


def test_an_odds_ratio_and_a_desirable_outcome():
    a = _assumptions(desirable="higher", baseline_risk=0.2, prices={"kommune": 100.0}, cost=0.0)
    out = bc.business_case(bc.Effect("OR", math.log(2), 0.1), a, draws=500, seed=1)
    p1 = 0.2 * 2 / (1 - 0.2 + 0.2 * 2)
    assert out["success_rate_pp"]["estimate"] == pytest.approx(100 * (p1 - 0.2), rel=1e-12)


@pytest.mark.parametrize("changes, name", [
    ({"participants": -1}, "participants"), ({"horizon": 0}, "horizon"), ({"horizon": 11}, "horizon"),
    ({"discount_rate": 0.21}, "discount_rate"), ({"discount_rate": -0.01}, "discount_rate"),
    ({"baseline_risk": 1.0}, "baseline_risk"), ({"fade": 1.0}, "fade"), ({"cost": -5}, "cost"),
    ({"cost_year": 6}, "cost_year"), ({"duration": 0}, "duration"), ({"prices": {"bank": 1.0}}, "price"),
])
def test_bad_assumptions_name_the_input(changes, name):
    with pytest.raises(bc.BusinessCaseError) as info:
        _assumptions(**changes)
    assert info.value.field == name


def test_bad_effects_and_options():
    with pytest.raises(bc.BusinessCaseError, match="measure"):
        bc.Effect("SMD", 0.2, 0.1)
    with pytest.raises(bc.BusinessCaseError, match="interval"):
        bc.business_case(CBT, _assumptions(), interval="xx")
    assert np.all(bc.treated_risk(0.9, "RR", np.array([1.0, 5.0])) <= 1.0)
