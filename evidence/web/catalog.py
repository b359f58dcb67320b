"""Vocabulary and study look-ups for the pages (one read-only session per request)."""

from __future__ import annotations

import difflib

from flask import g
from sqlalchemy import func, select

from ..db.extension import db
from ..db.models import BuildInfo, Effect, Study, Term
from .i18n import current_lang

KIND_OF = {"intervention": "interventions", "target_group": "target_groups", "outcome": "outcomes",
           "comparison": "comparisons"}


def terms() -> dict[str, dict[str, Term]]:
    """{kind: {slug: Term}} for every kind, once per request."""
    if "evidence_terms" not in g:
        out: dict[str, dict[str, Term]] = {k: {} for k in KIND_OF.values()}
        for t in db.session().scalars(select(Term).order_by(Term.kind, Term.path)):
            out.setdefault(t.kind, {})[t.slug] = t
        g.evidence_terms = out
    return g.evidence_terms


def term(kind: str, slug: str | None) -> Term | None:
    return terms().get(kind, {}).get(slug) if slug else None


def label(kind: str, slug: str | None) -> str:
    t = term(kind, slug)
    return t.label(current_lang()) if t else (slug or "")


def description(t: Term) -> str | None:
    return t.description_en if current_lang() == "en" else (t.description_da or t.description_en)


def descendants(kind: str, slug: str) -> set[str]:
    return {s for s, t in terms().get(kind, {}).items() if slug in t.path.split("/")}


def lineage(kind: str, slug: str) -> list[Term]:
    t = term(kind, slug)
    return [terms()[kind][s] for s in t.path.split("/") if s in terms()[kind]] if t else []


def tree(kind: str) -> list[Term]:
    """Every term of ``kind``, parents before their children, siblings by label."""
    pool = terms().get(kind, {})

    def key(t: Term):
        return [catalog_label.lower() for catalog_label in (label(kind, s) for s in t.path.split("/"))]

    return sorted(pool.values(), key=key)


def children(kind: str, slug: str) -> list[Term]:
    return [t for t in terms().get(kind, {}).values() if t.parent == slug]


def build_info() -> BuildInfo | None:
    if "evidence_build" not in g:
        g.evidence_build = db.session().scalars(select(BuildInfo)).first()
    return g.evidence_build


def suggest(kind: str, wanted: str, n: int = 3) -> list[Term]:
    """Terms whose slug or label is close to ``wanted`` (for 404 pages)."""
    pool = terms().get(kind, {})
    wanted = (wanted or "").lower()[:200]
    hits = difflib.get_close_matches(wanted, list(pool), n=n, cutoff=0.4)
    by_label = {}
    for t in pool.values():
        by_label[t.label_da.lower()] = t.slug
        by_label[t.label_en.lower()] = t.slug
    for found in difflib.get_close_matches(wanted.replace("-", " "), list(by_label), n=n, cutoff=0.4):
        if by_label[found] not in hits:
            hits.append(by_label[found])
    hits += [s for s in pool if wanted and (wanted in s or s in wanted) and s not in hits]
    return [pool[s] for s in hits[:n]]


def suggest_studies(wanted: str, n: int = 3) -> list[Study]:
    ids = list(db.session().scalars(select(Study.id)))
    close = difflib.get_close_matches((wanted or "").lower()[:200], ids, n=n, cutoff=0.5)
    return [db.session().get(Study, i) for i in close]


def studies_with(kind: str, slugs: set[str]) -> list[Study]:
    column = getattr(Effect, kind)
    ids = select(Effect.study_id).where(column.in_(slugs)).distinct()
    return list(db.session().scalars(select(Study).where(Study.id.in_(ids)).order_by(Study.year.desc(), Study.id)))


def count_studies(kind: str, slugs: set[str]) -> int:
    column = getattr(Effect, kind)
    return db.session().scalar(select(func.count(func.distinct(Effect.study_id))).where(column.in_(slugs))) or 0
