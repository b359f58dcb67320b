"""The vocabulary and studies as a page request sees them: the services' answers, kept for the request in ``g``.

No queries here: they are :mod:`evidence.services.terms`, :mod:`~evidence.services.studies` and
:mod:`~evidence.services.parameters` (the API asks the same ones).
"""

from __future__ import annotations

import difflib

from flask import g

from ..db.extension import db
from ..db.models import BuildInfo, Study, Term
from ..services import parameters as parameter_service
from ..services import studies as study_service
from ..services import terms as term_service
from .i18n import current_lang


def terms() -> dict[str, dict[str, Term]]:
    """{kind: {slug: Term}} for every kind, once per request."""
    if "evidence_terms" not in g:
        g.evidence_terms = term_service.by_kind(db.session())
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
        g.evidence_build = parameter_service.build_info(db.session())
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
    session = db.session()
    return [study_service.get(session, i) for i in study_service.close_ids(session, (wanted or "")[:200], n)]


def studies_with(kind: str, slugs: set[str]) -> list[Study]:
    return study_service.with_terms(db.session(), kind, slugs)


def study_counts(kind: str) -> dict[str, int]:
    """{slug: studies of the term or any term below it} for every term of ``kind``."""
    below = {slug: descendants(kind, slug) for slug in terms().get(kind, {})}
    return term_service.study_counts(db.session(), kind, below)
