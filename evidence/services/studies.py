"""Studies as built: filtered pages, one study with its effects, close ids, the studies of some terms. Flask-free.

The pages and the API both ask here. Vocabulary filters include every term
below the one asked for (a target group's sub-groups); an unknown term raises
:class:`~evidence.services.terms.UnknownTerm` with close matches.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..constants import FIELD_OF_KIND, STUDY_COLUMNS
from ..db.models import Effect, Study
from ..records.vocabulary import Vocabulary
from .terms import expand

#: An effect's columns as the API serves them (in the database's order, without its row id and position).
EFFECT_COLUMNS = ("key", "intervention", "comparison", "target_group", "outcome", "outcome_detail",
                  "followup_months", "followup", "sample", "form", "measure", "data", "poolable",
                  "not_poolable_reason", "location", "notes", "yi", "vi", "conversions", "n_participants", "direction")
#: What a study in a list shows, before the terms of its effects.
SUMMARY_COLUMNS = ("id", "label", "title", "authors", "year", "design", "evidence_level", "country", "doi")
#: The vocabularies a study list filters by (through its effects' fields).
FILTER_KINDS = ("interventions", "target_groups", "outcomes")


@dataclass(frozen=True)
class StudyFilters:
    intervention: str | None = None
    target_group: str | None = None
    outcome: str | None = None
    design: str | None = None
    evidence_level: int | None = None
    country: str | None = None
    year_from: int | None = None
    year_to: int | None = None


def page(session: Session, vocab: Vocabulary, f: StudyFilters, number: int, per_page: int) -> tuple[int, list]:
    """(total, page ``number``'s studies summarised), ordered by id."""
    where = []
    for kind in FILTER_KINDS:
        field = FIELD_OF_KIND[kind]
        value = getattr(f, field)
        if value is not None:
            column = getattr(Effect, field)
            where.append(Study.id.in_(select(Effect.study_id).where(column.in_(expand(vocab, kind, value)))))
    if f.design is not None:
        where.append(Study.design == f.design)
    if f.evidence_level is not None:
        where.append(Study.evidence_level == f.evidence_level)
    if f.country is not None:
        where.append(func.lower(Study.country) == f.country.lower())
    if f.year_from is not None:
        where.append(Study.year >= f.year_from)
    if f.year_to is not None:
        where.append(Study.year <= f.year_to)
    total = session.execute(select(func.count()).select_from(Study).where(*where)).scalar_one()
    rows = session.scalars(select(Study).where(*where).options(selectinload(Study.effects)).order_by(Study.id)
                           .offset((number - 1) * per_page).limit(per_page)).all()
    return total, [summary(s) for s in rows]


def summary(s: Study) -> dict:
    out = {name: getattr(s, name) for name in SUMMARY_COLUMNS}
    for kind in FILTER_KINDS:
        out[kind] = sorted({v for v in (getattr(e, FIELD_OF_KIND[kind]) for e in s.effects) if v})
    return out


def get(session: Session, study_id: str) -> Study | None:
    return session.get(Study, study_id)


def detail(session: Session, study_id: str, parameters: list[dict]) -> dict | None:
    """One study's columns, every effect, and the ids of the parameters it is in (None if there is no such study)."""
    s = session.get(Study, study_id, options=[selectinload(Study.effects)])
    if s is None:
        return None
    out = {name: getattr(s, name) for name in STUDY_COLUMNS}
    out["effects"] = [{name: getattr(e, name) for name in EFFECT_COLUMNS} for e in s.effects]
    out["parameters"] = [p["id"] for p in parameters if s.id in p["studies"]]
    return out


def close_ids(session: Session, wanted: str, n: int = 3) -> list[str]:
    """Up to ``n`` study ids close to ``wanted`` (for a 404)."""
    ids = session.scalars(select(Study.id)).all()
    return difflib.get_close_matches((wanted or "").lower(), ids, n=n, cutoff=0.5)


def with_terms(session: Session, kind: str, slugs: set[str]) -> list[Study]:
    """The studies with an effect on any of ``slugs`` (terms of ``kind``), newest first."""
    column = getattr(Effect, FIELD_OF_KIND[kind])
    ids = select(Effect.study_id).where(column.in_(slugs)).distinct()
    return list(session.scalars(select(Study).where(Study.id.in_(ids)).order_by(Study.year.desc(), Study.id)))


def studied_cells(session: Session, target_groups: set[str] | None):
    """(intervention, outcome, study id) of every effect, each once; only those for ``target_groups`` if given."""
    query = select(Effect.intervention, Effect.outcome, Effect.study_id)
    if target_groups is not None:
        query = query.where(Effect.target_group.in_(target_groups))
    return session.execute(query.group_by(Effect.intervention, Effect.outcome, Effect.study_id))
