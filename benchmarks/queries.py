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
    # facet -> value (intervention, target_group, outcome, design, evidence_level, country)
    filters: dict = field(default_factory=dict)
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


# ---------------------------------------------------------------- distinct queries: every request a cache miss

def distinct_mix(data_dir, per_category: int, seed: int = 7) -> list[Query]:
    """``per_category`` distinct queries of each category, drawn from the corpus's own vocabularies.

    The app caches per index version (rankings, matched documents), so repeating
    the 20 queries of :data:`MIX` measures cache hits after the first pass.
    These queries never repeat within a run: sent once each, they measure the
    engine cold, as a stream of different readers' searches would. Deterministic
    for a corpus and seed; the same list goes to the app and to the baseline.
    """
    import random
    import re
    from pathlib import Path

    from evidence.records.yamlio import load

    rng = random.Random(f"queries/{seed}")
    vocab = {kind: load(Path(data_dir) / "vocabularies" / f"{kind}.yaml").data
             for kind in ("interventions", "target_groups", "outcomes")}

    def words(lang: str) -> list[str]:
        out = []
        for terms in vocab.values():
            for t in terms:
                text = " ".join([t["label"][lang], *(t.get("synonyms") or {}).get(lang, [])])
                out += [w.lower() for w in re.findall(r"[^\W\d_]{4,}", text)]
        return sorted(set(out))

    en, da = words("en"), words("da")
    slugs = {kind: [t["slug"] for t in terms] for kind, terms in vocab.items()}
    designs = ["rct", "cluster-rct", "quasi-experimental", "controlled-study", "controlled-before-after"]
    countries = ["Denmark", "United States", "United Kingdom", "Sweden", "Norway", "Canada", "Netherlands"]
    out: list[Query] = []
    seen: set = set()

    def add(query: Query) -> None:
        key = (query.q, tuple(sorted(query.filters.items())), query.sort, query.year_from, query.year_to, query.page)
        if key not in seen:
            seen.add(key)
            out.append(query)

    for i in range(per_category * 20):
        if len(out) >= per_category * len(CATEGORIES):
            break
        k = len([q for q in out]) % len(CATEGORIES)
        category = CATEGORIES[k]
        if category == "free-text":
            add(Query(f"d-en-{i}", category, q=" ".join(rng.sample(en, rng.choice([1, 1, 2, 3])))))
        elif category == "danish":
            add(Query(f"d-da-{i}", category, q=" ".join(rng.sample(da, rng.choice([1, 1, 2])))))
        elif category == "facets":
            kind = rng.choice(["interventions", "target_groups", "outcomes"])
            filters = {kind.rstrip("s"): rng.choice(slugs[kind])}
            if rng.random() < 0.5:
                filters[rng.choice(["design", "evidence_level", "country"])] = None
                key = next(k for k, v in filters.items() if v is None)
                filters[key] = {"design": rng.choice(designs), "evidence_level": rng.choice("123"),
                                "country": rng.choice(countries)}[key]
            add(Query(f"d-facet-{i}", category, q=rng.choice(en) if rng.random() < 0.4 else "", filters=filters))
        elif category == "sort":
            add(Query(f"d-sort-{i}", category, q=rng.choice(en + da), sort=rng.choice(["year", "effect", "strength"]),
                      page=rng.choice([1, 1, 2])))
        elif category == "phrase":
            terms = rng.choice(list(vocab.values()))
            label = rng.choice(terms)["label"][rng.choice(["da", "en"])]
            ws = re.findall(r"[^\W\d_]+", label)
            if len(ws) >= 2:
                j = rng.randrange(len(ws) - 1)
                add(Query(f"d-phrase-{i}", category, q=f'"{ws[j]} {ws[j + 1]}"'))
            else:
                add(Query(f"d-phrase-{i}", category, q=f'"{label}"'))
        elif category == "year-range":
            start = rng.randrange(1965, 2020)
            add(Query(f"d-years-{i}", category, q=rng.choice(en + [""] * len(en)), year_from=start,
                      year_to=min(2025, start + rng.randrange(1, 20))))
        else:
            letters = "bcdfghjklmnpqrstvwxz"
            add(Query(f"d-nohit-{i}", category, q="".join(rng.choice(letters) for _ in range(rng.randrange(9, 14)))))
    return out
