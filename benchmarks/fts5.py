#!/usr/bin/env python3
"""The baseline: the same searches answered by SQLite FTS5 over the same corpus.

    python benchmarks/fts5.py build --database-url sqlite:///…/evidence.db --out fts.db
    BENCH_FTS5_DB=fts.db gunicorn -c deploy/gunicorn.conf.py benchmarks.fts5:app

How it is made fair (see docs/benchmarks.md):

- **Same documents.** The text of each study is made by the app's own
  ``evidence.search.documents.documents`` from the built database (the same
  ``da``, ``en`` and ``words`` texts the Whoosh index gets, synonyms expanded,
  target-group ancestors included); facet values come from the same card.
- **Same questions.** It takes the same query string parameters as the app's
  JSON search (``q``, facet filters, ``year_from``/``year_to``, ``sort``,
  ``page``) and answers with what a result page needs: the total, one page
  of 20 result cards, and counts for every facet over the whole result set.
- **Same serving.** It is a Flask app served by the same gunicorn config,
  workers and client, so the ratio compares search engines and the code
  around them, not HTTP stacks.
- **What it lacks** (so the baseline is, if anything, flattered): Porter
  stemming applies to both languages (FTS5 has no Danish stemmer), no
  spelling suggestions, no query-syntax messages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGE_SIZE = 20
#: The app's facets (evidence.search.facets.FACETS); URL parameters have the same names.
FACETS = ("intervention", "target_group", "outcome", "evidence_level", "design", "country", "direction", "decade")
WEIGHTS = (1.0, 1.0, 0.6)  # da, en, words: the app's DEFAULT_FIELDS


# ---------------------------------------------------------------- building

def _prepared_from_database(database_url: str):
    """What ``documents()`` needs, read back from a built database."""
    from sqlalchemy import select

    from evidence.db.models import Effect, Parameter, Study, Term
    from evidence.db.session import make_engine

    engine = make_engine(database_url, readonly=True)
    try:
        with engine.connect() as conn:
            def rows(model, columns):
                return [dict(r._mapping) for r in conn.execute(select(*[getattr(model, c) for c in columns]))]

            studies = rows(Study, ["id", "label", "title", "authors", "year", "abstract", "design",
                                   "evidence_level", "country", "setting", "summary_da", "summary_en"])
            effects = rows(Effect, ["study_id", "intervention", "comparison", "target_group", "outcome", "form",
                                    "measure", "data", "yi", "direction", "position"])
            terms = rows(Term, ["kind", "slug", "label_da", "label_en", "parent", "path", "depth", "synonyms_da",
                                "synonyms_en", "description_da", "description_en", "desirable"])
            parameters = rows(Parameter, ["studies", "strength"])
    finally:
        engine.dispose()
    effects.sort(key=lambda e: (e["study_id"], e["position"]))
    studies.sort(key=lambda s: s["id"])
    return SimpleNamespace(studies=studies, effects=effects, terms=terms, parameters=parameters)


def _documents(prepared) -> list[dict]:
    try:
        from evidence.search.documents import documents
    except ImportError:  # a commit without the search package: plain text of the same fields
        documents = None
    if documents is not None:
        return documents(prepared)
    by_kind = {(t["kind"].rstrip("s"), t["slug"]): t for t in prepared.terms}
    out = []
    effects_of: dict[str, list] = {}
    for e in prepared.effects:
        effects_of.setdefault(e["study_id"], []).append(e)
    for s in prepared.studies:
        es = effects_of.get(s["id"], [])
        labels_da, labels_en = [], []
        for e in es:
            for kind in ("intervention", "target_group", "outcome"):
                t = by_kind.get((kind, e[kind]))
                if t:
                    labels_da += [t["label_da"], *t["synonyms_da"]]
                    labels_en += [t["label_en"], *t["synonyms_en"]]
        common = [s.get("title") or "", s.get("abstract") or "", " ".join(s["authors"]), s["label"]]
        da = [s.get("summary_da") or "", *labels_da, *common]
        en = [s.get("summary_en") or "", *labels_en, *common]
        out.append({"id": s["id"], "da": "\n".join(da), "en": "\n".join(en), "words": "\n".join(da + en),
                    "card": {"id": s["id"], "label": s["label"], "title": s.get("title"), "year": s.get("year"),
                             "design": s["design"], "evidence_level": s["evidence_level"],
                             "country": s.get("country"),
                             "intervention": sorted({e["intervention"] for e in es}),
                             "target_group": sorted({e["target_group"] for e in es}),
                             "outcome": sorted({e["outcome"] for e in es}),
                             "direction": sorted({e["direction"] for e in es if e.get("direction")}),
                             "effect_size": None, "strength": 0}})
    return out


def build(database_url: str, out: Path) -> dict:
    started = time.perf_counter()
    prepared = _prepared_from_database(database_url)
    docs = _documents(prepared)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    con.executescript("""
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, year INTEGER, effect_size REAL,
                          strength INTEGER, card TEXT);
        CREATE TABLE facets(doc INTEGER, kind TEXT, value TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(da, en, words, tokenize="porter unicode61 remove_diacritics 2");
    """)
    for rowid, doc in enumerate(docs, start=1):
        card = doc["card"]
        con.execute("INSERT INTO docs VALUES (?,?,?,?,?,?)",
                    (rowid, doc["id"], card.get("year"), card.get("effect_size"), card.get("strength") or 0,
                     json.dumps(card, ensure_ascii=False)))
        con.execute("INSERT INTO fts(rowid, da, en, words) VALUES (?,?,?,?)",
                    (rowid, doc["da"], doc["en"], doc["words"]))
        values = [("design", card["design"]), ("evidence_level", str(card["evidence_level"]))]
        if card.get("country"):
            values.append(("country", card["country"]))
        if card.get("year") is not None:
            values.append(("decade", str(card["year"] // 10 * 10)))
        for kind in ("intervention", "target_group", "outcome", "direction"):
            values.extend((kind, v) for v in card.get(kind) or [])
        con.executemany("INSERT INTO facets VALUES (?,?,?)", [(rowid, k, v) for k, v in values])
    con.executescript("""
        CREATE INDEX facets_kind_value ON facets(kind, value, doc);
        CREATE INDEX facets_doc ON facets(doc, kind, value);
        INSERT INTO fts(fts) VALUES('optimize');
        ANALYZE;
    """)
    con.commit()
    con.close()
    os.replace(tmp, out)
    return {"documents": len(docs), "seconds": time.perf_counter() - started,
            "bytes": out.stat().st_size}


# ---------------------------------------------------------------- searching

_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(q: str) -> str | None:
    """A safe FTS5 expression: every phrase and word must occur (AND), each one quoted."""
    parts = []
    for phrase in _PHRASE.findall(q):
        words = _WORD.findall(phrase)
        if words:
            parts.append('"' + " ".join(words) + '"')
    rest = _PHRASE.sub(" ", q)
    parts.extend(f'"{w}"' for w in _WORD.findall(rest))
    return " ".join(parts) or None


class Searcher:
    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:  # one read-only connection per thread, opened after the fork
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=True)
            con.execute("CREATE TEMP TABLE m(r INTEGER PRIMARY KEY, score REAL)")
            self._local.con = con
        return con

    def search(self, args) -> dict:
        """Total, one page of cards and disjunctive facet counts, as the app computes them.

        Facets are counted as the app counts them: each facet's counts apply
        every other facet's filter but not its own; values of one facet are
        alternatives; the year range applies to every facet but the decade.
        """
        con = self._con()
        q = (args.get("q") or "").strip()
        expression = match_expression(q) if q else None
        wanted = {f: [v for v in args.getlist(f) if v][:20] for f in FACETS}
        wanted = {f: vs for f, vs in wanted.items() if vs}
        years, year_params = [], []
        for param, op in (("year_from", ">="), ("year_to", "<=")):
            value = (args.get(param) or "").strip()
            if value.isdigit():
                years.append(f"docs.year {op} ?")
                year_params.append(int(value))
        con.execute("DELETE FROM temp.m")
        if expression:
            con.execute(f"INSERT INTO temp.m SELECT rowid, bm25(fts, {', '.join(map(str, WEIGHTS))}) "
                        "FROM fts WHERE fts MATCH ?", [expression])
        elif not q:
            con.execute("INSERT INTO temp.m SELECT rowid, 0 FROM docs")

        def conditions(skip: str | None):
            where, params = [], []
            for facet, values in wanted.items():
                if facet != skip:
                    where.append(f"m.r IN (SELECT doc FROM facets WHERE kind = ? AND value IN "
                                 f"({', '.join('?' * len(values))}))")
                    params += [facet, *values]
            if skip != "decade" and years:
                where += years
                params += year_params
            return where, params

        where, params = conditions(None)
        joined = " FROM temp.m AS m JOIN docs ON docs.rowid = m.r" + (" WHERE " + " AND ".join(where) if where else "")
        total = con.execute("SELECT count(*)" + joined, params).fetchone()[0]
        order = {"year": "docs.year IS NULL, docs.year DESC, m.score",
                 "effect": "docs.effect_size IS NULL, docs.effect_size DESC, m.score",
                 "strength": "docs.strength DESC, m.score"}.get(args.get("sort") or "", "m.score, docs.rowid")
        page = int(args.get("page")) if (args.get("page") or "").isdigit() and int(args.get("page")) > 0 else 1
        hits = [json.loads(card) for (card,) in con.execute(
            f"SELECT docs.card{joined} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE])]
        facets: dict[str, dict[str, int]] = {}
        for facet in FACETS:
            where, params = conditions(facet)
            sql = ("SELECT f.value, count(*) FROM temp.m AS m JOIN docs ON docs.rowid = m.r "
                   "JOIN facets AS f ON f.doc = m.r AND f.kind = ?" + "".join(f" AND {w}" for w in where)
                   + " GROUP BY f.value")
            facets[facet] = dict(con.execute(sql, [facet, *params]).fetchall())
        return {"query": q, "total": total, "page": page, "hits": hits, "facets": facets}


def create_app(path: str | None = None):
    from flask import Flask, request

    searcher = Searcher(path or os.environ["BENCH_FTS5_DB"])
    app = Flask("fts5-baseline")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/search")
    def search():
        return searcher.search(request.args)

    return app


def __getattr__(name):  # ``benchmarks.fts5:app`` for gunicorn, made only when asked for
    if name == "app":
        return create_app()
    raise AttributeError(name)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the FTS5 database from a built evidence database")
    b.add_argument("--database-url", required=True)
    b.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(build(args.database_url, args.out)))


if __name__ == "__main__":
    main()
