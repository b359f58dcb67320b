"""What Danish practitioners type finds the studies for their target groups, in the Danish and English UI
(issue 12: misbrug, anbragte, efterværn, ordblinde, ældre, "unge uden uddannelse")."""

from __future__ import annotations

import pytest
from sqlalchemy import or_, select

from evidence.db.models import Effect
from evidence.db.session import make_engine
from evidence.services.search import search

#: Query → the effects whose studies are relevant: (column, slugs) pairs, any of which makes a study relevant.
RELEVANT = {
    "misbrug": [(Effect.outcome, ["less-substance-misuse"]),
                (Effect.intervention, ["addiction-management", "illness-and-addiction-management", "seeking-safety"]),
                (Effect.target_group, ["people-with-substance-abuse"])],
    "stofmisbrug": [(Effect.outcome, ["less-substance-misuse"]),
                    (Effect.intervention, ["addiction-management", "illness-and-addiction-management"])],
    "anbragte": [(Effect.target_group, ["care-leavers"]), (Effect.outcome, ["out-of-home-placement"])],
    "efterværn": [(Effect.target_group, ["care-leavers"])],
    "ordblinde": [(Effect.target_group, ["pupils-academic-difficulties"])],
    "ældre": [(Effect.target_group, ["geriatric-patients"])],
    "unge uden uddannelse": [(Effect.target_group, ["young-people-entering-labour-market",
                                                    "young-unemployed-additional-barriers",
                                                    "young-unemployed-without-education"])],
    "NEET": [(Effect.target_group, ["young-people-entering-labour-market", "young-unemployed-additional-barriers",
                                    "young-unemployed-without-education"])],
}


@pytest.fixture(scope="module")
def relevant(built_settings):
    engine = make_engine(built_settings.database_url, readonly=True)
    try:
        with engine.connect() as conn:
            return {q: set(conn.execute(select(Effect.study_id).where(or_(*[c.in_(v) for c, v in pairs]))).scalars())
                    for q, pairs in RELEVANT.items()}
    finally:
        engine.dispose()


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("query", list(RELEVANT))
def test_practitioner_terms_find_relevant_studies_first(built_settings, relevant, query, lang):
    expected = relevant[query]
    assert expected, f"no study in the knowledge base is relevant to {query!r}"
    result = search(built_settings.index_dir, query, per_page=10, lang=lang)
    top = [h.id for h in result.hits]
    assert len(top) == min(10, len(expected)), (query, lang, result.total)
    assert set(top) <= expected, f"{query!r} ({lang}): {set(top) - expected} are not relevant"
