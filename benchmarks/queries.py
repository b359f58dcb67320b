"""The fixed query mix every benchmark run sends, to our app and to the FTS5 baseline alike.

Each query is neutral (``q`` plus facet filters, sort, year range, page); the
URL builders turn it into the app's ``/search`` and ``/api/v1/search`` URLs and
into the baseline's URL, so both answer the same question. The facet values
are real vocabulary terms, which the synthetic corpora keep (the generator
adds terms, it never drops one), so every query means the same at every size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass(frozen=True)
class Query:
    name: str
    category: str  # free-text | danish | facets | sort | phrase | year-range | no-hit
    q: str = ""
    filters: dict = field(default_factory=dict)  # facet -> value (intervention, target_group, outcome, design, evidence_level, country)
    sort: str | None = None  # relevance (default) | year | effect | strength
    year_from: int | None = None
    year_to: int | None = None
    page: int = 1

    @property
    def faceted(self) -> bool:
        return bool(self.filters)


MIX: tuple[Query, ...] = (
    Query("en-word", "free-text", q="recidivism"),
    Query("en-words", "free-text", q="cognitive programmes offenders"),
    Query("en-author", "free-text", q="Comstock"),
    Query("da-word", "danish", q="tilbagefald"),
    Query("da-words", "danish", q="kriminelle unge"),
    Query("da-stem", "danish", q="skoleelever læring"),
    Query("facet-intervention", "facets", filters={"intervention": "cbt-offenders"}),
    Query("facet-target-parent", "facets", filters={"target_group": "offenders"}),
    Query("facet-q-outcome-design", "facets", q="treatment",
          filters={"outcome": "recidivism", "design": "rct"}),
    Query("facet-level-country", "facets", filters={"evidence_level": "1", "country": "Denmark"}),
    Query("facet-da-target", "facets", q="elever", filters={"target_group": "school-students"}),
    Query("sort-year", "sort", q="offenders", sort="year"),
    Query("sort-effect", "sort", filters={"outcome": "academic-achievement"}, sort="effect"),
    Query("sort-strength-page2", "sort", q="students", sort="strength", page=2),
    Query("phrase-en", "phrase", q='"juvenile offenders"'),
    Query("phrase-da", "phrase", q='"sædvanlig praksis"'),
    Query("years", "year-range", year_from=2000, year_to=2010),
    Query("years-q", "year-range", q="vaccine", year_from=1990, year_to=2015),
    Query("no-hit-en", "no-hit", q="zyxquarkplasma"),
    Query("no-hit-da", "no-hit", q="kvantefysikbrød"),
)

CATEGORIES = ("free-text", "danish", "facets", "sort", "phrase", "year-range", "no-hit")


def _params(query: Query) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    if query.q:
        params.append(("q", query.q))
    for key, value in query.filters.items():
        params.append((key, value))
    if query.year_from is not None:
        params.append(("year_from", str(query.year_from)))
    if query.year_to is not None:
        params.append(("year_to", str(query.year_to)))
    if query.sort:
        params.append(("sort", query.sort))
    if query.page != 1:
        params.append(("page", str(query.page)))
    return params


def app_page_url(query: Query) -> str:
    """The practitioners' search page, every state in the URL."""
    return "/search?" + urlencode(_params(query))


def app_api_url(query: Query) -> str:
    """The JSON search endpoint: the same facets as the pages."""
    return "/api/v1/search?" + urlencode(_params(query))


def baseline_url(query: Query) -> str:
    return "/search?" + urlencode(_params(query))
