"""Golden rankings: what ``search()`` answers on two frozen corpora, saved before the engine changed.

The corpora are frozen so that changes to ``data/`` or to the benchmark generator do not move them:

- ``tests/fixtures/search-corpus/``: a copy of the repository's ``data/`` records and vocabularies
  (taken at 2183b2d);
- ``tests/fixtures/search-synthetic-1k.tar.xz``: ``benchmarks/generate.py 1000`` at 2183b2d —
  SYNTHETIC records (ids ``synthetic-…``), never in ``data/``.

For a fixed list of queries of every shape the parser makes (words, ``OR``, ``NOT``, ``-word``,
``+word``, boosts, fields, groups, ``ANDMAYBE``, year terms and ranges, prefixes, wildcards,
phrases from titles, misspellings), with and without filters and in every sort, the golden file
holds the total, every hit up to ``MAX_HITS`` with its score, the messages, the suggestions and
(for the queries marked so) every facet count. Write them (only with the engine they were made
with, before a change)::

    .venv/bin/python tests/search/golden_rankings.py --write
"""

from __future__ import annotations

import json
import random
import re
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
RECORDS = FIXTURES / "search-corpus"
SYNTHETIC = FIXTURES / "search-synthetic-1k.tar.xz"
GOLDEN = FIXTURES / "search-golden"
MAX_HITS = 300
PER_PAGE = 100
SORTS = ("effect", "strength", "year")

#: Query shapes over three words ``w`` of the corpus: every shape the parser makes.
SHAPES = [
    lambda w: w[0], lambda w: f"{w[0]} {w[1]}", lambda w: f"{w[0]} {w[1]} {w[2]}",
    lambda w: f"{w[0]} OR {w[1]}", lambda w: f"{w[0]} NOT {w[1]}", lambda w: f"{w[0]} -{w[1]}",
    lambda w: f"+{w[0]} {w[1]}", lambda w: f"{w[0]}^2 {w[1]}", lambda w: f"title:{w[0]}",
    lambda w: f"author:{w[0]} OR {w[1]}", lambda w: f"({w[0]} OR {w[1]}) {w[2]}",
    lambda w: f"{w[0]} ANDMAYBE {w[1]}", lambda w: f"{w[0]} year:[1990 TO 2010]", lambda w: f"{w[0][:3]}*",
    lambda w: f"{w[0]} IKKE {w[1]}", lambda w: f"{w[0]} ELLER {w[1]}", lambda w: f"{w[0][:2]}?{w[0][3:]}",
    lambda w: f"{w[0]} year:>=2005", lambda w: f"{w[0]} år:2000-2012", lambda w: f"{w[0][:-1]}x",
]


def corpus_dir(name: str, tmp: Path) -> Path:
    """The frozen corpus ``name`` ("records" or "synthetic-1k") as a data folder."""
    if name == "records":
        return RECORDS
    target = tmp / "synthetic-1k"
    if not target.exists():
        with tarfile.open(SYNTHETIC) as tar:
            tar.extractall(target, filter="data")
    return target


def build_index(data_dir: Path, out: Path) -> Path:
    """A complete index of the corpus in ``data_dir``, written as ``evidence build`` writes it."""
    from evidence.build import prepare
    from evidence.search import indexer

    indexer.write_index(out / "index", prepare(data_dir))
    return out / "index"


def answer(index, q: str, filters=None, sort: str = "relevance", facets: bool = False) -> dict:
    """What the golden file keeps of one search (paging through up to MAX_HITS hits)."""
    from evidence.services.search import search

    first = search(index, q, filters, sort, 1, PER_PAGE, "da")
    hits = [[h.id, h.score] for h in first.hits]
    page = 1
    while len(hits) < min(first.total, MAX_HITS):
        page += 1
        hits += [[h.id, h.score] for h in search(index, q, filters, sort, page, PER_PAGE, "da").hits]
    out = {"total": first.total, "hits": hits[:MAX_HITS],
           "messages": [m.code for m in first.messages],
           "suggestions": [[s.kind, s.q, s.facet, s.value, s.count] for s in first.suggestions],
           "interpretation": first.interpretation}
    if facets:
        out["facets"] = {f: [[v.value, v.count, v.selected] for v in vs] for f, vs in first.facets.items()}
    return out


def make_queries(index, seed: int, count: int) -> list[dict]:
    """Queries of every shape from the index's own words and titles (``count`` random ones plus fixed ones)."""
    from evidence.services.search import search

    rng = random.Random(seed)
    everything = search(index, "", per_page=PER_PAGE)
    words = sorted(w for w in index.current().meta["spellings"] if re.fullmatch(r"[a-z]{3,}", w))
    titles = []
    page = 1
    while True:
        hits = search(index, "", per_page=PER_PAGE, page=page).hits
        titles += [h.title or "" for h in hits]
        if page * PER_PAGE >= everything.total:
            break
        page += 1
    out = []
    for i in range(count):
        picked = rng.sample(words, 3)
        out.append({"q": SHAPES[i % len(SHAPES)](picked), "facets": i % 7 == 0})
        title = re.findall(r"\w+", rng.choice(titles))
        if len(title) >= 3:
            j = rng.randrange(len(title) - 1)
            n = rng.choice([2, 2, 3])
            out.append({"q": '"' + " ".join(title[j:j + n]) + '"', "facets": i % 5 == 0})
    facets = everything.facets
    fixed = ["hjemløse", "hjemloese", "recidivism", "tilbagefald", "CBT", "cbt-offenders", "quasi-experimental",
             "Århus", "year:2001", "year:>=2000", "year:<=1995", "year:2000-2010", "year:[2010 TO",
             "design:rct", "country:dk", "land:se", "id:" + (everything.hits[0].id if everything.hits else "x"),
             "titel:employment", "forfatter:smith", "intervention:cbt", "målgruppe:unge", "effektmål:recidivism",
             "*", "title:[a TO c]", "beskæftigelse ELLER employment", "\"cognitive behavioural\"",
             "(employment OR housing) NOT youth", "recidivsm", "hjemlose unge", "emplyment housing",
             "employment^3 housing", "unknownfield:word", "\"unclosed quote", "(unclosed", "a b c d e"]
    out += [{"q": q, "facets": True} for q in fixed]
    # filters (one value, two values of one facet, two facets, years) and sorts, with and without words
    picks = []
    for facet in ("intervention", "target_group", "outcome", "design", "country", "direction", "decade",
                  "evidence_level"):
        values = [v.value for v in facets.get(facet, [])]
        if values:
            picks.append({facet: values[: 1]})
            picks.append({facet: values[:2]})
    picks.append({"year_from": "2000", "year_to": "2010"})
    if len(picks) > 2:
        picks.append({**picks[0], **picks[-2]})
    for i, flt in enumerate(picks):
        q = ["", "employment", rng.choice(words), "recidivism OR housing"][i % 4]
        out.append({"q": q, "filters": flt, "facets": True})
        out.append({"q": q, "filters": flt, "sort": SORTS[i % 3], "facets": False})
    for sort in SORTS:
        out.append({"q": "", "sort": sort, "facets": False})
        out.append({"q": rng.choice(words) + " OR " + rng.choice(words), "sort": sort, "facets": False})
    # nothing matches with the filter: the filters to drop are suggested
    if facets.get("country"):
        out.append({"q": "zzqxj", "filters": {"country": [facets["country"][-1].value]}, "facets": True})
    return out


def answers(index, queries: list[dict]) -> list[dict]:
    return [{**spec, "answer": answer(index, spec["q"], spec.get("filters"), spec.get("sort", "relevance"),
                                      spec.get("facets", False))} for spec in queries]


def write(tmp: Path) -> None:
    from evidence.search.reader import IndexHolder

    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, seed, count in (("records", 11, 150), ("synthetic-1k", 12, 200)):
        holder = IndexHolder(build_index(corpus_dir(name, tmp), tmp / name))
        queries = make_queries(holder, seed, count)
        doc = {"corpus": name, "queries": answers(holder, queries)}
        (GOLDEN / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(name, len(queries), "queries")


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--write"]:
        raise SystemExit(__doc__)
    with tempfile.TemporaryDirectory() as tmpdir:
        write(Path(tmpdir))
