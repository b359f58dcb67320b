"""Vocabulary terms as built, with the studies and parameters that use them. Flask-free.

The pages and the API both ask here. A term stands for itself and every term
below it (a target group's sub-groups), so its studies are those of any of them;
an unknown term raises :class:`UnknownTerm` with close matches, so a typo is
reported rather than answered with nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..constants import FIELD_OF_KIND
from ..db.models import Effect, Term
from ..records.vocabulary import KINDS, Vocabulary

#: What a term's description in the API holds, besides its children and counts.
TERM_COLUMNS = ("slug", "label_da", "label_en", "parent", "path", "depth", "synonyms_da", "synonyms_en",
                "description_da", "description_en", "outcome_type", "desirable", "default_measure", "needs_curation")


class UnknownTerm(LookupError):
    def __init__(self, kind: str, slug: str, suggestions: list[str]):
        super().__init__(f"unknown {FIELD_OF_KIND[kind].replace('_', ' ')} '{slug}'")
        self.kind, self.slug, self.suggestions = kind, slug, suggestions


def by_kind(session: Session) -> dict[str, dict[str, Term]]:
    """{kind: {slug: Term}} for every kind, each in hierarchy (path) order."""
    out: dict[str, dict[str, Term]] = {kind: {} for kind in KINDS}
    for t in session.scalars(select(Term).order_by(Term.kind, Term.path)):
        out.setdefault(t.kind, {})[t.slug] = t
    return out


def expand(vocab: Vocabulary, kind: str, slug: str) -> set[str]:
    """``slug`` and every term below it; UnknownTerm if there is no such term."""
    if (kind, slug) not in vocab:
        raise UnknownTerm(kind, slug, vocab.suggest(kind, slug))
    return vocab.descendants(kind, slug)


def studies_by_term(session: Session, kind: str) -> dict[str, set[str]]:
    """{slug: the studies with an effect on that very term} for the terms of ``kind`` that have any."""
    out: dict[str, set[str]] = {}
    for value, study_id in session.execute(select(getattr(Effect, FIELD_OF_KIND[kind]), Effect.study_id).distinct()):
        if value:
            out.setdefault(value, set()).add(study_id)
    return out


def study_counts(session: Session, kind: str, below: dict[str, set[str]]) -> dict[str, int]:
    """{slug: studies with an effect on the term or on any term below it}, each study once.

    ``below`` maps each slug wanted to itself and every term below it.
    """
    by_term = studies_by_term(session, kind)
    return {slug: len(set().union(*(by_term.get(s, set()) for s in slugs))) for slug, slugs in below.items()}


def listing(session: Session, vocab: Vocabulary, kind: str, parameters: list[dict]) -> list[dict]:
    """Every term of ``kind`` in hierarchy order, with its study (its own and below) and parameter counts."""
    field = FIELD_OF_KIND[kind]
    by_term = studies_by_term(session, kind)
    out = []
    for t in session.scalars(select(Term).where(Term.kind == kind).order_by(Term.path)):
        studies = set().union(*(by_term.get(s, set()) for s in vocab.descendants(kind, t.slug)))
        out.append(described(t, vocab, len(studies), sum(p[field] == t.slug for p in parameters)))
    return out


def described(t: Term, vocab: Vocabulary, study_count: int, parameter_count: int) -> dict:
    out = {name: getattr(t, name) for name in TERM_COLUMNS}
    out["children"] = sorted(c.slug for c in vocab.terms[t.kind].values() if c.parent == t.slug)
    out["study_count"], out["parameter_count"] = study_count, parameter_count
    return out


def detail(session: Session, vocab: Vocabulary, kind: str, slug: str, parameters: list[dict]) -> dict:
    """One term with the studies (its own and below) and the parameters that use it."""
    t = session.get(Term, (kind, slug))
    if t is None:
        raise UnknownTerm(kind, slug, vocab.suggest(kind, slug))
    field = FIELD_OF_KIND[kind]
    column = getattr(Effect, field)
    study_ids = session.scalars(select(Effect.study_id).where(column.in_(vocab.descendants(kind, slug)))
                                .distinct().order_by(Effect.study_id)).all()
    params = [p["id"] for p in parameters if p[field] == slug]
    out = described(t, vocab, len(study_ids), len(params))
    out["ancestors"] = vocab.ancestors(kind, slug)
    out["studies"], out["parameters"] = list(study_ids), params
    return out
