"""The Beregn page: reachable from results, prefilled, in words, an SVG chart, sources, an XLSX business case."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import openpyxl
import pytest

CBT = "cbt-offenders.offenders.recidivism.control.0-12m.RR"
PAGE = f"/beregn/{CBT}"
QUERY = {"participants": 100, "horizon": 5, "price": "prison-day-closed-2015", "quantity": 30, "duration": 3,
         "cost": 2000}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_result_with_a_binary_parameter_links_to_its_business_case(client):
    html = client.get("/interventions/cbt-offenders").get_data(as_text=True)
    links = set(re.findall(r'href="/beregn/([^"]+)"', html))
    assert links and all(link.split(".")[-1] in ("RR", "OR", "RD") for link in links)
    for link in sorted(links)[:3]:
        assert client.get(f"/beregn/{link}").status_code == 200
    # a continuous parameter, or none at all, has no business case
    smd = client.get("/api/v1/parameters?measure=SMD").get_json()["parameters"][0]["id"]
    assert client.get(f"/beregn/{smd}").status_code == 404
    assert client.get(f"/beregn/{CBT}x").status_code == 404


def test_first_visit_is_prefilled_danish_and_in_words(client):
    html = client.get(PAGE).get_data(as_text=True)
    assert 'name="baseline_risk"' in html and 'value="0.35' in html  # the pooled control risk
    assert "<option value=\"prison-day-average-2015\" selected>" in html  # the first catalogue price
    text = _text(html)
    assert "Med 100 deltagere forventes" in text and "færre tilfælde af tilbagefald til kriminalitet" in text
    assert "sandsynlighed for gevinst" in text and "Nettoresultat for staten efter 5 år" in text


def test_the_charts_id_does_not_depend_on_pythons_hash(client, monkeypatch):
    """The page carries a strong ETag: its chart's id must be the same in every process, where hash() is not."""
    def chart_id():
        return re.search(r'<svg[^>]*class="netchart"[^>]*aria-labelledby="([^" ]+)', client.get(
            f"{PAGE}?{urlencode(QUERY)}").get_data(as_text=True)).group(1)

    before = chart_id()
    monkeypatch.setattr("builtins.hash", lambda value: 12345)  # explicit hash() calls only: dicts do not use it
    assert chart_id() == before and before.startswith("nc-")


def test_result_words_chart_table_and_sources_agree_with_the_api(client):
    html = client.get(f"{PAGE}?{urlencode(QUERY)}").get_data(as_text=True)
    api = client.get(f"/api/v1/business-case?{urlencode({'parameter': CBT, **QUERY})}").get_json()
    state = round(api["totals"]["present_value"]["stat"]["estimate"])
    assert f"{state:,}".replace(",", ".") + " kr." in _text(html)
    svg = re.search(r"<svg[^>]*class=\"netchart\".*?</svg>", html, re.S).group(0)
    assert len(re.findall(r'<g class="nc-year">', svg)) == 5 and "<title" in svg and "<desc" in svg
    assert "style=" not in html and "<script>" not in html  # the strict CSP holds
    text = _text(html)
    assert "Direktoratet for Kriminalforsorgen" in text and "1.878 kr." in text and "prisår 2015" in text
    assert "http://www.kriminalforsorgen.dk/%C3%98konomi-7062.aspx" in html
    assert "Finansministeriet" in text and "3,5 pct." in text
    english = _text(client.get(f"{PAGE}?{urlencode({**QUERY, 'lang': 'en'})}").get_data(as_text=True))
    assert "With 100 participants" in english and "probability of a gain" in english


@pytest.mark.parametrize("query, name", [({"participants": -3}, "participants"), ({"horizon": 11}, "horizon"),
                                         ({"discount_rate": 0.5}, "discount_rate"), ({"price": "nope"}, "price")])
def test_bad_input_shows_the_form_with_the_field_named(client, query, name):
    response = client.get(f"{PAGE}?{urlencode(query)}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"<code>{name}</code>" in html and 'name="participants"' in html


def test_xlsx_opens_and_holds_assumptions_with_sources_and_the_yearly_table(client):
    response = client.get(f"{PAGE}/business-case.xlsx?{urlencode(QUERY)}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Forudsætninger", "År", "Resultat"]
    assumptions = {r[0]: r[1:] for r in book["Forudsætninger"].iter_rows(values_only=True)}
    assert assumptions["Parameter"][0] == CBT
    studies = client.get(f"/api/v1/parameters/{CBT}").get_json()["studies"]
    assert assumptions["Studier / studies"][0].split("; ") == studies
    assert assumptions["Beløb (kr.) / amount (DKK)"][0] == 1878
    assert "kriminalforsorgen.dk" in assumptions["Beløb (kr.) / amount (DKK)"][1]
    assert "fm.dk" in assumptions["Diskonteringsrente / discount rate"][1]
    assert assumptions["Prisår / price year"][0] == 2015
    years = list(book["År"].iter_rows(values_only=True))
    assert len(years) == 1 + 5 and years[0][0] == "År / year"
    api = client.get(f"/api/v1/business-case?{urlencode({'parameter': CBT, **QUERY})}").get_json()
    head = years[0]
    column = head.index("Netto i alt / total (kr.)")
    for row, expected in zip(years[1:], api["years"]):
        assert row[column] == pytest.approx(expected["net"]["total"]["estimate"], rel=1e-12, abs=1e-9)
    results = {r[0]: r[1:] for r in book["Resultat"].iter_rows(values_only=True)}
    pv = results["Nutidsværdi netto / net present value, i alt / total"]
    assert pv[0] == pytest.approx(api["totals"]["present_value"]["total"]["estimate"], rel=1e-12)
    assert pv[4] == api["totals"]["probability_net_positive"]["total"]


def test_without_a_pooled_control_risk_the_page_asks_for_a_baseline(client):
    mst = "multisystemic-therapy.young-people-antisocial-behaviour.out-of-home-placement.usual-practice.13-36m.OR"
    first = client.get(f"/beregn/{mst}")
    assert first.status_code == 200 and "ingen basisrisiko at gå ud fra" in _text(first.get_data(as_text=True))
    html = client.get(f"/beregn/{mst}?baseline_risk=0.2&price=foster-family-year-2019").get_data(as_text=True)
    api = client.get(f"/api/v1/business-case?parameter={mst}&baseline_risk=0.2&price=foster-family-year-2019")
    kommune = round(api.get_json()["totals"]["present_value"]["kommune"]["estimate"])
    amount = f"{abs(kommune):,}".replace(",", ".")
    sign = "\u2212" if kommune < 0 else ""
    assert f"Nettoresultat for kommunen efter 5 år, i nutidsværdi: {sign}{amount} kr." in _text(html)


def test_an_effect_pointing_the_wrong_way_is_worded_as_such(client):
    mst = "multisystemic-therapy.young-people-antisocial-behaviour.out-of-home-placement.usual-practice.13-36m.OR"
    api = client.get(f"/api/v1/business-case?parameter={mst}&baseline_risk=0.2").get_json()
    assert api["totals"]["events_avoided"]["estimate"] < 0  # the single study's OR is above 1
    text = _text(client.get(f"/beregn/{mst}?baseline_risk=0.2").get_data(as_text=True))
    more = num_da(-api["totals"]["events_avoided"]["estimate"])
    assert f"forventes {more} flere tilfælde af anbringelse" in text, text[:3000]


def num_da(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def test_stray_query_names_do_not_break_the_links(client):
    for query in ("parameter_id=x&_external=1&_anchor=y", "participants=5&price=nope&parameter_id=z"):
        assert client.get(f"{PAGE}?{query}").status_code in (200, 400)
        assert client.get(f"{PAGE}/business-case.xlsx?{query}").status_code in (200, 400)


def test_the_price_page_shows_every_price_with_its_source_and_price_year(client):
    html = client.get("/priser").get_data(as_text=True)
    prices = client.get("/api/v1/prices").get_json()["items"]
    for price in prices:
        assert f'id="{price["id"]}"' in html and price["source"]["url"] in html
        row = re.search(rf'<tr id="{price["id"]}">(.*?)</tr>', html, re.S).group(1)
        assert f"<td>{price['price_year']}</td>" in row
    assert "style=" not in html and 'href="/priser"' in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize("url", [PAGE, f"{PAGE}?participants=-1", "/priser"])
@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_pages_are_structured_like_the_others(client, url, lang):
    from test_accessibility import Collector

    page = Collector()
    page.feed(client.get(url + ("&" if "?" in url else "?") + f"lang={lang}").get_data(as_text=True))
    names = [t for t, _ in page.tags]
    assert names.count("h1") == 1 and {"header", "nav", "main", "footer"} <= set(names)
    labelled = {a.get("for") for t, a in page.tags if t == "label"}
    for tag, attrs in page.tags:
        if tag in ("input", "select") and attrs.get("type") != "hidden":
            assert attrs.get("id") in labelled, attrs
    assert len(page.ids) == len(set(page.ids))
    assert all(a.get("role") == "img" and a.get("aria-labelledby") for t, a in page.tags
               if t == "svg" and a.get("class") == "netchart")
