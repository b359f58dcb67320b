"""Every page renders from the real corpus, in Danish and English."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from evidence.db.models import Effect, Parameter, Study, Term
from evidence.db.session import make_engine


@pytest.fixture(scope="module")
def corpus(built_settings):
    engine = make_engine(built_settings.database_url, readonly=True)
    with engine.connect() as conn:
        terms = conn.execute(select(Term.kind, Term.slug)).all()
        studies = list(conn.execute(select(Study.id)).scalars())
        params = conn.execute(select(Parameter.intervention, Parameter.id)).all()
    engine.dispose()
    assert terms and studies and params, "the loops below check every page: an empty corpus would check none"
    return {"terms": terms, "studies": studies, "params": params}


def test_every_intervention_target_group_and_outcome_page(client, corpus):
    prefix = {"interventions": "/interventions/", "target_groups": "/target-groups/", "outcomes": "/outcomes/"}
    for kind, slug in corpus["terms"]:
        if kind in prefix:
            for lang in ("da", "en"):
                response = client.get(f"{prefix[kind]}{slug}?lang={lang}")
                assert response.status_code == 200, (kind, slug, lang)


def test_every_study_page(client, corpus):
    for study_id in corpus["studies"]:
        response = client.get(f"/studies/{study_id}")
        assert response.status_code == 200, study_id
        assert b"@" in response.data and b"TY  - " in response.data  # BibTeX and RIS on the page


def test_lists_and_map(client):
    for url in ("/interventions", "/target-groups", "/outcomes", "/map", "/map?target_group=offenders",
                "/map?target_group=no-such-group", "/", "/search", "/search?q=CBT&lang=en"):
        assert client.get(url).status_code == 200, url


def test_intervention_page_shows_effect_in_words_and_numbers(client):
    html = client.get("/interventions/cbt-offenders?lang=en").get_data(as_text=True)
    assert re.search(r"Reduces recidivism \(reoffending\) from \d+&nbsp;%|"
                     r"Reduces recidivism \(reoffending\) from \d+\xa0%", html)
    assert "percentage points (95 % CI −" in html
    assert "prediction interval" in html
    assert "Strength of evidence, 0 to 5 padlocks" in html  # the rule, with the rating
    assert "Leaving out one study at a time" in html and "Randomised trials only" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="forest"') >= 3
    assert "OR (odds ratio), log scale" in html
    da = client.get("/interventions/cbt-offenders?lang=da").get_data(as_text=True)
    assert "Mindsker tilbagefald til kriminalitet fra" in da and "procentpoint (95 %-KI −" in da
    assert "Evidensens styrke, 0 til 5 hængelåse" in da


def test_forest_plot_has_every_study_a_diamond_and_natural_axis(client, corpus):
    html = client.get("/interventions/bcg-vaccination?lang=en").get_data(as_text=True)
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="forest"'):]
    svg = svg[:svg.index("</svg>")]
    assert svg.count('class="fp-study"') == 13
    assert 'class="fp-diamond"' in svg and 'class="fp-pi-line"' in svg
    assert ">1.0<" in svg or ">1<" in svg  # the null on the natural scale


def test_default_measure_first_and_others_on_request(client):
    html = client.get("/interventions/bcg-vaccination?lang=en").get_data(as_text=True)
    first = html.index('class="measure-line"')
    assert "Risk ratio: RR" in html[first:first + 200]  # tuberculosis's default measure is RR
    assert "measure=OR" in html
    other = client.get("/interventions/bcg-vaccination?lang=en&measure=OR").get_data(as_text=True)
    first = other.index('class="measure-line"')
    assert "Odds ratio: OR" in other[first:first + 200]


def test_continuous_outcomes_in_natural_units(client):
    html = client.get("/interventions/specialist-stroke-care?lang=en").get_data(as_text=True)
    assert "MD −15.1" in html and "days in hospital" in html
    smd = client.get("/interventions/writing-to-learn?lang=en").get_data(as_text=True)
    assert "standard deviations" in smd and "percentile points" in smd


def test_calculator_box_json_csv_and_citation(client):
    html = client.get("/interventions/cbt-offenders?lang=en").get_data(as_text=True)
    import html as htmllib

    blocks = re.findall(r'<pre class="code"[^>]*>(.*?)</pre>', html, re.S)
    data = json.loads(htmllib.unescape(blocks[0]))
    assert data["intervention"] == "cbt-offenders" and data["k"] >= 1 and "estimate" in data
    header, row = htmllib.unescape(blocks[1]).strip().splitlines()
    assert header.startswith("id,intervention,target_group,outcome") and row.startswith(data["id"] + ",")
    assert f'/api/v1/parameters/{data["id"]}' in html
    assert "/api/v1/parameters.json" in html and "/api/v1/parameters.csv" in html
    assert "Dataset version" in html


def test_study_page_citations_effects_and_provenance(client):
    html = client.get("/studies/landenberger-2004?lang=en").get_data(as_text=True)
    assert "@techreport{landenberger-2004," in html
    assert "TY  - RPRT" in html and "Landenberger (2004)." in html
    assert "events, intervention group" in html and "<code>ai</code>" in html
    assert "In the pooled results:" in html and "Not pooled" not in html
    assert "dat.landenberger2005" in html  # provenance
    assert client.get("/studies/landenberger-2004.bib").data.startswith(b"@techreport{")
    assert client.get("/studies/landenberger-2004.ris").data.startswith(b"TY  - RPRT")


def test_not_poolable_effects_show_their_reason(client, built_settings):
    engine = make_engine(built_settings.database_url, readonly=True)
    with engine.connect() as conn:
        row = conn.execute(select(Effect.study_id, Effect.not_poolable_reason)
                           .where(Effect.poolable.is_(False))).first()
    engine.dispose()
    assert row is not None, "the corpus has effects marked not poolable (Dietrichson 2021's follow-ups)"
    html = client.get(f"/studies/{row.study_id}?lang=en").get_data(as_text=True)
    assert "Not pooled:" in html


def test_gap_map_counts_and_gaps(client, built_settings):
    html = client.get("/map?lang=en").get_data(as_text=True)
    assert 'class="cell gap"' in html  # e.g. CBT on tuberculosis
    engine = make_engine(built_settings.database_url, readonly=True)
    with engine.connect() as conn:
        cbt_recidivism = conn.execute(select(func.count(func.distinct(Effect.study_id))).where(
            Effect.intervention == "cbt-offenders", Effect.outcome == "recidivism")).scalar_one()
    engine.dispose()
    assert cbt_recidivism > 1 and f'<span class="n">{cbt_recidivism} studies</span>' in html
    narrowed = client.get("/map?lang=en&target_group=juvenile-offenders").get_data(as_text=True)
    # narrowed to a group, the map keeps only what was studied for it: CBT on recidivism
    assert narrowed.count('<th scope="row"') == 1 and "Cognitive-behavioural" in narrowed
    assert narrowed.count('<th scope="col">') == 2 and 'class="cell gap"' not in narrowed
    area = client.get("/map?lang=en&area=vulnerable-adults").get_data(as_text=True)
    assert 'value="vulnerable-adults" selected' in area
    assert 'value="juvenile-offenders"' in area and 'value="geriatric-patients"' not in area


def test_search_page_facets_and_state_in_links(client):
    html = client.get("/search?q=recidivism&lang=en").get_data(as_text=True)
    assert 'href="/search?q=recidivism&amp;intervention=cbt-offenders' in html
    filtered = client.get("/search?q=recidivism&design=rct&lang=en").get_data(as_text=True)
    assert 'aria-current="true"' in filtered and "Chosen filters" in filtered
    assert 'name="design" value="rct"' in filtered  # the state survives a new search


def test_search_without_hits_offers_help(client):
    html = client.get("/search?q=recidivsm&lang=en").get_data(as_text=True)
    assert "Did you mean" in html and "q=recidivism" in html
    html = client.get("/search?q=tuberculosis&intervention=cbt-offenders&lang=en").get_data(as_text=True)
    assert "Remove the filter" in html
