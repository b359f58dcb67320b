"""The overview path: areas on the front page, a ranked list per target group, every result on intervention
pages, and study pages that say truthfully whether each estimate is pooled."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from evidence.db.models import Effect, Parameter, Study, Term
from evidence.db.session import make_engine
from evidence.services import overview, results
from evidence.web import forest


@pytest.fixture(scope="module")
def session(built_settings):
    from sqlalchemy.orm import Session

    engine = make_engine(built_settings.database_url, readonly=True)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_areas_are_the_roots_of_the_target_groups(session):
    roots = {t.slug for t in session.scalars(select(Term).where(Term.kind == "target_groups", Term.parent.is_(None)))}
    found = overview.areas(session)
    assert found and {a.term.slug for a in found} <= roots
    with_studies = {r for r in roots if overview.study_counts(session).get(r)}
    assert {a.term.slug for a in found} == with_studies  # every root with studies, and only roots
    adults = next(a for a in found if a.term.slug == "vulnerable-adults")
    assert {"offenders", "juvenile-offenders", "adult-offenders"} <= {g.slug for g in adults.groups}
    assert [g.slug for g in adults.groups].index("offenders") < [g.slug for g in adults.groups].index(
        "juvenile-offenders")  # parents before their children


def test_front_page_leads_with_areas_and_their_target_groups(client):
    html = client.get("/?lang=da").get_data(as_text=True)
    assert "Hvem vil du hjælpe?" in html
    assert 'href="/target-groups/offenders"' in html and 'href="/target-groups/juvenile-offenders"' in html
    assert html.index("Hvem vil du hjælpe?") < html.index('role="search"')


def test_target_group_page_is_a_ranked_comparable_list(client):
    html = client.get("/target-groups/offenders?lang=da").get_data(as_text=True)
    rows = re.findall(r'<li class="overview-row.*?</li>\s*(?=<li class="overview-row|</ol>)', html, re.S)
    assert rows, "no overview rows"
    first = _text(rows[0])
    assert "Kognitive adfærdsprogrammer for kriminelle" in first
    assert "procentpoint (95 %-KI" in first  # the effect in percentage points with its interval
    assert 'class="padlocks"' in rows[0]
    assert "58 studier" in first and "randomiserede" in first and "≤ 12 måneder" in first


def test_target_group_sorts_by_effect_strength_and_studies(client, session):
    desirable = overview.desirable_by_outcome(session)
    rows = overview.target_group(session, "people-with-mental-illness")
    by_effect = overview.ordered(rows, "effect", desirable)
    pooled = [r for r in by_effect if r.parameter is not None]
    values = [r.comparable(desirable[r.outcome]) for r in pooled]
    assert values == sorted(values, reverse=True)
    assert all(r.parameter is None for r in by_effect[len(pooled):])  # not pooled: last
    by_k = overview.ordered(rows, "studies", desirable)
    assert [r.k for r in by_k] == sorted((r.k for r in rows), reverse=True)
    for sort in overview.SORTS:
        assert client.get(f"/target-groups/people-with-mental-illness?sort={sort}").status_code == 200


def test_unpooled_results_are_listed_as_reported(client):
    html = client.get("/target-groups/unemployed?lang=en").get_data(as_text=True)
    text = _text(html)
    assert "Mentor support" in text and "16 % with the intervention and 12 % without" in text
    assert "1 Nordic (1 Danish)" in text


def test_comparable_effect_scales():
    assert overview.comparable_effect({"measure": "SMD", "estimate": 0.3}, "higher") == 0.3
    assert overview.comparable_effect({"measure": "SMD", "estimate": 0.3}, "lower") == -0.3
    log_or = overview.comparable_effect({"measure": "OR", "estimate": -0.5}, "lower")
    assert log_or == pytest.approx(0.5 * 3 ** 0.5 / 3.141592653589793)
    assert overview.comparable_effect({"measure": "MD", "estimate": -15}, "lower") is None


def test_every_intervention_page_shows_a_result_for_every_study_it_lists(client, session):
    for slug in session.scalars(select(Term.slug).where(Term.kind == "interventions")):
        html = client.get(f"/interventions/{slug}?lang=en").get_data(as_text=True)
        listed = re.search(r"(\d+) stud(?:y has|ies have) evaluated", html)
        shown = re.findall(r'<li class="study-result" id="study-([^"]+)"', html)
        n = int(listed.group(1)) if listed else 0
        assert n == len(shown) == len(set(shown)), slug
        for sid in shown:  # each listed study has at least one result line, pooled or not
            block = html[html.index(f'id="study-{sid}"'):]
            block = block[:block.index("</li>\n    </ul>") if "</li>\n    </ul>" in block else 2000]
            assert "In the pooled result" in block or "Not pooled:" in block, (slug, sid)


def test_the_danish_mentor_trial_shows_its_results(client):
    html = client.get("/interventions/mentor-support?lang=da").get_data(as_text=True)
    text = _text(html)
    assert "16 % med indsatsen og 12 % uden" in text
    assert "Ikke samlet:" in text
    assert "Der er endnu ingen resultater, der kan samles" not in text
    assert '<span lang="en">' in html  # the record's English text is marked


def test_study_pages_say_truthfully_whether_each_effect_is_pooled(client, session):
    for study in session.scalars(select(Study)):
        pooled = results.for_study(session, study)
        html = client.get(f"/studies/{study.id}?lang=en").get_data(as_text=True)
        for e in study.effects:
            block = html[html.index(f'id="effect-{e.key}"'):]
            block = block[:block.index("</article>")]
            if e.key in pooled:
                assert "In the pooled results:" in block and "Not pooled" not in block, (study.id, e.key)
            else:
                assert "Not pooled:" in block and "In the pooled results" not in block, (study.id, e.key)


def test_reported_effects_are_never_said_to_be_pooled(client):
    html = client.get("/studies/mentor-2014?lang=da").get_data(as_text=True)
    assert "Indgår i de samlede resultater" not in html
    assert html.count("Ikke samlet:") == 2


def test_forest_plot_draws_a_study_once_with_the_estimates_behind_it(client):
    html = client.get("/interventions/housing-first-icm?lang=en").get_data(as_text=True)
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="forest"'):]
    svg = svg[:svg.index("</svg>")]
    labels = re.findall(r'<g class="fp-study"><text[^>]*>([^<]+)</text>', svg)
    assert len(labels) == 1 and labels[0].startswith("Stergiopoulos") and labels[0].endswith(" (2)")  # one row
    behind = html[html.index("The estimates behind the plot"):]
    behind = behind[:behind.index("</table>")]
    assert "site-a" in behind and "site-b" in behind and "shown as one row" in behind


def _effect(study, label, yi, vi, weight):
    return {"study": study, "label": label, "yi": yi, "vi": vi, "weight": weight}


def test_forest_labels_that_would_repeat_name_their_sample_or_study():
    rows = [{"study": s, "label": "S (2015)", "effect": "e", "sample": sample, "yi": 1.0, "vi": 1.0, "weight": 50}
            for s, sample in (("s-a", "site-a"), ("s-b", "main"))]
    effects = [_effect("s-a", "S (2015)", 1.0, 1.0, 50), _effect("s-b", "S (2015)", 1.0, 1.0, 50)]
    shown = forest.study_rows({"rows": rows, "study_effects": effects})
    assert [r["label"] + r["suffix"] for r in shown] == ["S (2015), site-a", "S (2015), main"]


def test_forest_draws_each_study_as_pooling_aggregated_it_with_the_rows_behind_it():
    rows = [{"study": "a", "label": "A (2020)", "effect": "x", "sample": "main", "yi": 0.2, "vi": 0.04, "weight": 30},
            {"study": "a", "label": "A (2020)", "effect": "y", "sample": "main", "yi": 0.5, "vi": 0.05, "weight": 20},
            {"study": "a", "label": "A (2020)", "effect": "z", "sample": "main", "yi": 0.1, "vi": 0.03, "weight": 10},
            {"study": "b", "label": "B (2021)", "effect": "x", "sample": "main", "yi": 0.3, "vi": 0.02, "weight": 40}]
    effects = [_effect("a", "A (2020)", 0.1657925520, 0.0267675441, 60), _effect("b", "B (2021)", 0.3, 0.02, 40)]
    shown = forest.study_rows({"rows": rows, "rho": 0.6, "study_effects": effects})
    assert [len(r["rows"]) for r in shown] == [3, 1]
    assert [(r["yi"], r["vi"], r["weight"]) for r in shown] == [(0.1657925520, 0.0267675441, 60), (0.3, 0.02, 40)]
    assert shown[0]["suffix"] == " (3)" and shown[1]["suffix"] == "" and shown[0]["sample"] == "main"


def test_every_stored_parameter_draws_its_forest_from_its_study_effects(session):
    """The plot has no fallback: each parameter as built carries one study effect per study it pools."""
    for p in session.scalars(select(Parameter)):
        assert sorted(s["study"] for s in p.result["study_effects"]) == sorted(p.result["studies"]), p.id


def test_unit_of_mean_differences_ignores_a_site_in_parentheses(session):
    assert overview.common_unit(["percentage of days stably housed (site A)",
                                 "percentage of days stably housed (site B)"]) == "percentage of days stably housed"
    assert overview.common_unit(["days", None]) is None
    p = session.scalars(select(Parameter).where(Parameter.intervention == "housing-first-icm",
                                                Parameter.measure == "MD")).first()
    assert overview.unit_of(session, p) == "percentage of days stably housed"


def test_reasons_for_not_pooling(session):
    e = session.scalars(select(Effect).where(Effect.study_id == "mentor-2014")).first()
    assert results.reason(e)[0] == results.REPORTED


def test_words_singular_plural_and_the_rule_as_a_list(client):
    da = client.get("/interventions/ips?lang=da").get_data(as_text=True)
    assert "1 studie: start ved 1" in da and "1 studier" not in _text(da)
    assert "(1 af 1 studie er randomiseret)" in da  # the evidence level says what share is randomised
    panel = da[da.index('<div class="rule-panel">'):]
    panel = panel[:panel.index("</div>")]
    assert panel.count("<li>") >= 6 and "(e) over halvdelen" in panel  # one reason + the five weaknesses
    en = client.get("/interventions/cbt-offenders?lang=en").get_data(as_text=True)
    assert re.search(r"\(\d+ of \d+ studies are randomised\)", en)


def test_a_mean_difference_always_names_its_unit(client):
    html = client.get("/interventions/housing-first-icm?lang=da").get_data(as_text=True)
    assert '<span lang="en">percentage of days stably housed</span>' in html


def test_studies_and_estimates_are_counted_apart(app, session):
    """The pooling model with several rows per study adds k_effects (estimates) beside k (studies)."""
    from evidence.web import sections

    p = session.scalars(select(Parameter).where(Parameter.intervention == "housing-first-icm",
                                                Parameter.measure == "MD")).first()
    with app.test_request_context("/?lang=en"):
        assert sections.studies_text(p.result) == "1 study, 2 estimates"  # two sites of one study
        assert sections.studies_text({**p.result, "k": 1, "k_effects": 2}) == "1 study, 2 estimates"
        assert sections.studies_text({"k": 3, "rows": []}) == "3 studies"


def test_why_an_estimate_is_not_pooled():
    def effect(**kw):
        return Effect(**{"poolable": True, "form": "counts", "yi": 0.1, "vi": 0.01, "not_poolable_reason": None, **kw})

    assert results.reason(effect(), pooled_elsewhere=True) == (results.SAME_SAMPLE, None)
    assert results.reason(effect(), pooled_elsewhere=False) == (results.NO_PARAMETER, None)
    assert results.reason(effect(form="single_arm", yi=None, vi=None)) == (results.SINGLE_ARM, None)
    assert results.reason(effect(form="reported", yi=None, vi=None)) == (results.REPORTED, None)
    flagged = effect(poolable=False, not_poolable_reason="Percentages without arm sizes.")
    assert results.reason(flagged) == (results.FLAGGED, "Percentages without arm sizes.")
