"""/api/v1/prices, /api/v1/business-case and the SØM bridge in /api/v1/parameters."""

from __future__ import annotations

import csv
import io
import math
from urllib.parse import urlencode

import openpyxl
import pytest
from api_helpers import BCG_RR, CBT, is_problem

PRICE = "prison-day-closed-2015"
URL = "/api/v1/business-case"


def _case(client, **params):
    response = client.get(f"{URL}?{urlencode({'parameter': CBT, **params})}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def test_the_catalogue_lists_every_price_with_a_source_and_a_price_year(client):
    body = client.get("/api/v1/prices").get_json()
    assert body["total"] == len(body["items"]) >= 7
    for price in body["items"]:
        assert price["source"]["url"].startswith(("http://", "https://")), price["id"]
        assert price["source"]["quote"] and price["source"]["location"] and price["source"]["publisher"]
        assert 1990 <= price["price_year"] <= 2100 and price["amount"] > 0
        assert math.isclose(sum(price["payer"].values()), 1.0)
    only = client.get("/api/v1/prices?outcome=out-of-home-placement").get_json()["items"]
    assert {p["id"] for p in only} == {"foster-family-year-2019", "residential-placement-year-2019"}


def test_must_show_cbt_recidivism_closed_form_intervals_and_probability(client):
    body = _case(client, participants=100, horizon=5, price=PRICE)
    p = client.get(f"/api/v1/parameters/{CBT}").get_json()
    price = next(x for x in client.get("/api/v1/prices").get_json()["items"] if x["id"] == PRICE)
    assert body["dataset_version"] == p["dataset_version"]
    assert body["assumptions"]["baseline_risk"] == p["control_risk"]
    assert len(body["years"]) == 5
    # participants × percentage-point change × price per payer, discounted (year t by 1.035^-(t-1))
    success = -p["risk_difference_pp"] / 100
    assert body["success_rate_pp"]["estimate"] == pytest.approx(p["som_success_rate_pp"], rel=1e-9)
    for row in body["years"]:
        weight = 1.0 if row["year"] == 1 else 0.0  # default duration: 1 year
        expected = 100 * success * weight * price["amount"]
        assert row["savings"]["stat"]["estimate"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert row["net"]["total"]["estimate"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert row["discount_factor"] == pytest.approx(1.035 ** -(row["year"] - 1), rel=1e-12)
    totals = body["totals"]
    assert totals["present_value"]["stat"]["estimate"] == pytest.approx(100 * success * price["amount"], rel=1e-9)
    stat = totals["present_value"]["total"]
    assert stat["low"] < stat["mean"] < stat["high"]
    assert 0 <= totals["probability_net_positive"]["total"] <= 1
    assert body["monte_carlo"] == {**body["monte_carlo"], "interval": "ci", "draws": 10000, "distribution": "normal"}


def test_costs_duration_fade_and_discounting_through_the_api(client):
    body = _case(client, participants=200, horizon=4, price=PRICE, quantity=30, duration=3, fade=0.25,
                 cost=2500, cost_year=2, discount_rate=0.05, draws=2000)
    p = client.get(f"/api/v1/parameters/{CBT}").get_json()
    s = -p["risk_difference_pp"] / 100
    per_event = 1878 * 30
    weights, disc = [1, 0.75, 0.5625, 0], [1.05 ** -t for t in range(4)]
    pv_state = sum(200 * s * m * per_event * d for m, d in zip(weights, disc))
    totals = body["totals"]
    assert totals["present_value"]["stat"]["estimate"] == pytest.approx(pv_state, rel=1e-9)
    assert totals["present_value"]["kommune"]["estimate"] == pytest.approx(-200 * 2500 / 1.05, rel=1e-9)
    assert totals["present_value"]["total"]["estimate"] == pytest.approx(pv_state - 200 * 2500 / 1.05, rel=1e-9)
    assert totals["probability_net_positive"]["kommune"] == 0.0  # the kommune pays, the state saves
    assert body["years"][1]["cost"] == 200 * 2500


def test_seeded_and_prediction_interval_wider(client):
    one = _case(client, price=PRICE, seed=5, draws=3000)
    assert one == _case(client, price=PRICE, seed=5, draws=3000)
    pi = _case(client, price=PRICE, seed=5, draws=3000, interval="pi")
    ci_total, pi_total = one["totals"]["present_value"]["total"], pi["totals"]["present_value"]["total"]
    assert pi_total["estimate"] == ci_total["estimate"]
    assert pi_total["high"] - pi_total["low"] > 2 * (ci_total["high"] - ci_total["low"])


def test_baseline_own_effect_and_own_price(client):
    body = _case(client, baseline_risk=0.5, effect=math.log(0.8), effect_se=0.1, price_amount=10000,
                 price_payer="region", draws=500)
    assert body["success_rate_pp"]["estimate"] == pytest.approx(100 * (0.5 - 0.5 * 0.8), rel=1e-12)
    assert body["totals"]["savings"]["region"]["estimate"] == pytest.approx(100 * 0.1 * 10000, rel=1e-9)
    assert body["assumptions"]["own_effect"] is True and body["price"]["source"] is None


@pytest.mark.parametrize("query, name", [
    ({"participants": -1}, "participants"), ({"horizon": 0}, "horizon"), ({"horizon": 11}, "horizon"),
    ({"price": "no-such-price"}, "price"), ({"discount_rate": 0.25}, "discount_rate"),
    ({"discount_rate": -0.01}, "discount_rate"), ({"interval": "xx"}, "interval"), ({"seed": -1}, "seed"),
    ({"price": "foster-family-year-2019"}, "price"), ({"cost_year": 6}, "cost_year"),
    ({"effect": -0.2}, "effect_se"), ({"baseline_risk": 1}, "baseline_risk"),
    ({"price": PRICE, "price_amount": 5}, "price"), ({"participants": "many"}, "participants"),
    ({"draws": 50_001}, "draws"), ({"draws": 99}, "draws"),
])
def test_bad_input_is_a_400_problem_naming_the_parameter(client, query, name):
    body = is_problem(client.get(f"{URL}?{urlencode({'parameter': CBT, **query})}"), 400)
    assert name in body["errors"], body


def test_unknown_or_non_binary_parameter_is_a_400(client):
    body = is_problem(client.get(f"{URL}?parameter={CBT.replace('offenders.recid', 'ofenders.recid')}"), 400)
    assert "parameter" in body["errors"] and CBT in body["suggestions"]
    smd = next(p["id"] for p in client.get("/api/v1/parameters?measure=SMD").get_json()["parameters"])
    assert "parameter" in is_problem(client.get(f"{URL}?parameter={smd}"), 400)["errors"]
    assert "parameter" in is_problem(client.get(URL), 400)["errors"]
    assert "horizn" in is_problem(client.get(f"{URL}?parameter={CBT}&horizn=3"), 400)["errors"]


def test_som_success_rate_in_the_parameter_and_the_exports(client):
    p = client.get(f"/api/v1/parameters/{CBT}").get_json()
    assert p["som_success_rate_pp"] == pytest.approx(-p["risk_difference_pp"], rel=1e-12)
    assert (p["som_success_rate_pp_ci_low"], p["som_success_rate_pp_ci_high"]) == pytest.approx(
        (-p["risk_difference_pp_ci_high"], -p["risk_difference_pp_ci_low"]), rel=1e-12)
    at = client.get(f"/api/v1/parameters/{CBT}?baseline_risk=0.5").get_json()
    assert at["som_success_rate_pp"] == pytest.approx(100 * (0.5 - 0.5 * math.exp(p["estimate"])), rel=1e-9)
    bcg = client.get(f"/api/v1/parameters/{BCG_RR}").get_json()
    assert bcg["som_success_rate_pp"] == pytest.approx(-bcg["risk_difference_pp"], rel=1e-12)
    smd = client.get("/api/v1/parameters?measure=SMD").get_json()["parameters"][0]
    assert smd["som_success_rate_pp"] is None
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/parameters.csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    row = next(r for r in rows if r["id"] == CBT)
    assert float(row["som_success_rate_pp"]) == p["som_success_rate_pp"]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/parameters.xlsx").data), read_only=True)
    sheet = list(book["parameters"].iter_rows(values_only=True))
    cells = dict(zip(sheet[0], next(r for r in sheet if r[0] == CBT)))
    assert cells["som_success_rate_pp"] == pytest.approx(p["som_success_rate_pp"], rel=1e-15)
    assert cells["som_success_rate_pp_ci_high"] == pytest.approx(p["som_success_rate_pp_ci_high"], rel=1e-15)


def test_knapp_hartung_draws_are_student_t_with_the_fits_df(client):
    knha = client.get(f"/api/v1/parameters/{CBT}?test=knha").get_json()
    body = _case(client, test="knha", price=PRICE, draws=2000)
    assert knha["df"] == knha["k"] - 1
    assert body["monte_carlo"]["distribution"] == f"t({knha['df']:g})"
    assert body["parameter"]["se"] == knha["se"] and body["assumptions"]["test"] == "knha"
    dl = _case(client, method="DL", price=PRICE, draws=500)
    assert dl["parameter"]["tau2"] == client.get(f"/api/v1/parameters/{CBT}?method=DL").get_json()["tau2"]
    assert "method" in is_problem(client.get(f"{URL}?parameter={CBT}&method=XX"), 400)["errors"]
