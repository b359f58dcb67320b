"""Search on the real corpus: the right studies first, and facet counts equal to the database's."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evidence.db.models import Effect, Study, Term
from evidence.db.session import make_engine
from evidence.search.analysis import fold
from evidence.services.search import MAX_PER_PAGE, search


@pytest.fixture(scope="module")
def index_dir(built_settings):
    return built_settings.index_dir


@pytest.fixture(scope="module")
def conn(built_settings):
    engine = make_engine(built_settings.database_url, readonly=True)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def all_hits(index_dir, q="", filters=None, sort="relevance") -> list:
    """Every hit of a search, page by page: one page holds at most MAX_PER_PAGE (100) hits."""
    first = search(index_dir, q, filters, sort, page=1, per_page=MAX_PER_PAGE)
    hits = list(first.hits)
    for page in range(2, first.pages + 1):
        hits += search(index_dir, q, filters, sort, page=page, per_page=MAX_PER_PAGE).hits
    assert len(hits) == first.total and len({h.id for h in hits}) == first.total, (q, filters, sort)
    return hits


def ids(hits) -> set[str]:
    return {h.id for h in hits}


def studies_of(conn, column, values) -> set[str]:
    return set(conn.execute(select(Effect.study_id).where(column.in_(values))).scalars())


@pytest.mark.parametrize("query, column, value", [
    ("recidivism", Effect.outcome, "recidivism"),
    ("tilbagefald", Effect.outcome, "recidivism"),
    ("CBT", Effect.intervention, "cbt-offenders"),
    ("tuberculosis", Effect.outcome, "tuberculosis"),
    ("writing-to-learn", Effect.intervention, "writing-to-learn"),
])
def test_the_right_studies_come_first(index_dir, conn, query, column, value):
    expected = studies_of(conn, column, [value])
    result = search(index_dir, query, per_page=10)
    top = [h.id for h in result.hits]
    assert len(top) == min(10, len(expected))
    assert set(top) <= expected, f"{query!r}: {set(top) - expected} are not {value} studies"
    assert expected <= ids(all_hits(index_dir, query)), f"{query!r} misses {value} studies"


def test_danish_and_english_reach_the_same_studies(index_dir, conn):
    # "tilbagefald" may also find "tilbagefald til hjemløshed"; every recidivism study is found both ways
    expected = studies_of(conn, Effect.outcome, ["recidivism"])
    da = ids(all_hits(index_dir, "tilbagefald"))
    en = ids(all_hits(index_dir, "recidivism"))
    assert expected and expected <= da and expected <= en


def _homeless_groups(conn) -> set[str]:
    rows = conn.execute(select(Term.slug, Term.label_da, Term.label_en, Term.synonyms_da)
                        .where(Term.kind == "target_groups")).all()
    return {slug for slug, da, en, syn in rows
            if "hjemloes" in fold(da + " " + " ".join(syn)) or "homeless" in en.lower()}


def test_hjemlose_finds_hjemloshed_and_the_homelessness_trials(index_dir, conn):
    groups = _homeless_groups(conn)
    assert groups, "data/vocabularies/target_groups.yaml has no homelessness target group"
    expected = studies_of(conn, Effect.target_group, groups)
    assert expected, "homelessness target groups exist but no study uses them"
    runs = {q: ids(all_hits(index_dir, q))
            for q in ("hjemløse", "hjemløshed", "hjemloese", "HJEMLØS")}
    assert len({frozenset(v) for v in runs.values()}) == 1, runs
    assert expected <= runs["hjemløse"]
    first = search(index_dir, "hjemløse", per_page=5).hits
    assert all(h.id in expected for h in first)


def test_synonyms_are_expanded_at_index_time(index_dir, conn):
    # "reoffending" is only an English synonym of the recidivism outcome
    expected = studies_of(conn, Effect.outcome, ["recidivism"])
    assert ids(all_hits(index_dir, "reoffending")) == expected


def test_parent_target_group_finds_child_studies(index_dir, conn):
    children = conn.execute(select(Term.slug).where(Term.kind == "target_groups", Term.parent == "offenders")).scalars()
    expected = studies_of(conn, Effect.target_group, ["offenders", *children])
    assert ids(all_hits(index_dir, "kriminelle")) >= expected


def test_facet_counts_equal_the_database(index_dir, conn):
    result = search(index_dir, "", per_page=1)
    total = conn.execute(select(func.count()).select_from(Study)).scalar_one()
    assert result.total == total
    terms = conn.execute(select(Term.kind, Term.slug, Term.path)).all()

    def distinct_studies(column, values):
        return conn.execute(select(func.count(func.distinct(Effect.study_id))).where(column.in_(values))).scalar_one()

    facets = {f: {v.value: v.count for v in values} for f, values in result.facets.items()}
    for kind, column, facet in (("interventions", Effect.intervention, "intervention"),
                                ("outcomes", Effect.outcome, "outcome"),
                                ("target_groups", Effect.target_group, "target_group")):
        for _kind, slug, _path in (t for t in terms if t[0] == kind):
            below = {s for k, s, path in terms if k == kind and slug in path.split("/")}
            assert facets[facet].get(slug, 0) == distinct_studies(column, below), (facet, slug)
    for column, facet, fmt in ((Study.evidence_level, "evidence_level", str), (Study.design, "design", str),
                               (Study.country, "country", str)):
        expected = {fmt(v): n for v, n in conn.execute(select(column, func.count()).group_by(column)) if v is not None}
        assert facets[facet] == expected, facet
    expected = {d: n for d, n in conn.execute(
        select(Effect.direction, func.count(func.distinct(Effect.study_id))).group_by(Effect.direction)) if d}
    assert facets["direction"] == expected
    decades: dict[str, int] = {}
    for (year,) in conn.execute(select(Study.year).where(Study.year.is_not(None))):
        decades[str(year // 10 * 10)] = decades.get(str(year // 10 * 10), 0) + 1
    assert facets["decade"] == decades


def test_filters_and_disjunctive_counts(index_dir, conn):
    filters = {"intervention": "cbt-offenders", "design": ["rct"]}
    result = search(index_dir, "", filters, per_page=MAX_PER_PAGE)
    expected = set(conn.execute(select(Study.id).where(Study.design == "rct", Study.id.in_(
        select(Effect.study_id).where(Effect.intervention == "cbt-offenders")))).scalars())
    assert ids(all_hits(index_dir, "", filters)) == expected
    # the intervention facet ignores its own filter: other interventions still show their RCT counts
    rcts_by_intervention = {v.value: v.count for v in result.facets["intervention"]}
    assert rcts_by_intervention["cbt-offenders"] == len(expected)
    assert len(rcts_by_intervention) > 1


@pytest.mark.parametrize("sort", ["relevance", "effect", "strength", "year"])
def test_sorting_and_pages(index_dir, sort):
    first = search(index_dir, "", sort=sort, page=1, per_page=7)
    second = search(index_dir, "", sort=sort, page=2, per_page=7)
    assert first.pages == second.pages > 1
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    everything = all_hits(index_dir, "", sort=sort)
    if sort == "year":
        years = [h.year or 0 for h in everything]
        assert years == sorted(years, reverse=True)
    if sort == "strength":
        assert [h.strength for h in everything] == sorted((h.strength for h in everything), reverse=True)
    if sort == "effect":
        sizes = [h.effect_size for h in everything if h.effect_size is not None]
        assert sizes == sorted(sizes, reverse=True)


def test_per_page_is_capped_at_100(index_dir):
    asked = search(index_dir, "", per_page=200)
    assert MAX_PER_PAGE == 100 and asked.per_page == 100
    assert asked.total > 100, "the corpus has more than 100 studies, so the cap shows"
    assert len(asked.hits) == 100 and asked.pages == -(-asked.total // 100)


def test_out_of_range_paging_is_clamped(index_dir):
    result = search(index_dir, "", page=10_000, per_page="x")
    assert result.page == result.pages and result.per_page == 20


def test_no_hits_suggest_spelling_and_broader_filters(index_dir):
    result = search(index_dir, "recidivsm")
    assert result.total == 0
    assert any(s.kind == "spelling" and "recidivism" in s.q for s in result.suggestions)
    narrow = search(index_dir, "tuberculosis", {"intervention": "cbt-offenders"})
    assert narrow.total == 0
    assert any(s.kind == "remove_filter" and s.value == "cbt-offenders" for s in narrow.suggestions)


def test_result_is_json_ready(index_dir):
    import json

    data = search(index_dir, "CBT", per_page=3, lang="en").to_dict()
    assert json.loads(json.dumps(data))["hits"][0]["interventions"] == ["cbt-offenders"]
