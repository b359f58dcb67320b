"""Studies and vocabulary terms from the read-side database. Flask-free.

Vocabulary filters include every term below the one asked for (a target
group's sub-groups, say); an unknown term raises :class:`UnknownTerm` with
close matches, so a typo is reported rather than answered with nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..db.models import Effect, Study, Term
from ..records.vocabulary import Vocabulary

#: URL segment -> vocabulary kind; field on an effect
KINDS = {"interventions": "interventions", "target-groups": "target_groups", "outcomes": "outcomes",
         "comparisons": "comparisons"}
FIELD = {"interventions": "intervention", "target_groups": "target_group", "outcomes": "outcome",
         "comparisons": "comparison"}
STUDY_COLUMNS = ("id", "label", "title", "authors", "et_al", "year", "journal", "publication_type", "doi", "url",
                 "abstract", "design", "evidence_level", "country", "setting", "sample_size", "risk_of_bias",
                 "summary_da", "summary_en", "source", "source_doi", "path")
EFFECT_COLUMNS = ("key", "intervention", "comparison", "target_group", "outcome", "outcome_detail",
                  "followup_months", "followup", "sample", "form", "measure", "data", "poolable",
                  "not_poolable_reason", "location", "notes", "yi", "vi", "conversions", "n_participants", "direction")


class UnknownTerm(LookupError):
    def __init__(self, kind: str, slug: str, suggestions: list[str]):
        super().__init__(f"unknown {FIELD[kind].replace('_', ' ')} '{slug}'")
        self.kind, self.slug, self.suggestions = kind, slug, suggestions


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


def expand(vocab: Vocabulary, kind: str, slug: str) -> set[str]:
    """``slug`` and every term below it; UnknownTerm if there is no such term."""
    if (kind, slug) not in vocab:
        raise UnknownTerm(kind, slug, vocab.suggest(kind, slug))
    return vocab.descendants(kind, slug)


def studies(session: Session, vocab: Vocabulary, f: StudyFilters, page: int, per_page: int) -> tuple[int, list]:
    """(total, the page's studies with their effects), ordered by id."""
    where = []
    for kind in ("interventions", "target_groups", "outcomes"):
        value = getattr(f, FIELD[kind])
        if value is not None:
            column = getattr(Effect, FIELD[kind])
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
    rows = session.execute(select(Study).where(*where).options(selectinload(Study.effects)).order_by(Study.id)
                           .offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return total, [study_summary(s) for s in rows]


def _distinct(values) -> list:
    return sorted({v for v in values if v})


def study_summary(s: Study) -> dict:
    out = {name: getattr(s, name) for name in ("id", "label", "title", "authors", "year", "design",
                                                "evidence_level", "country", "doi")}
    out["interventions"] = _distinct(e.intervention for e in s.effects)
    out["target_groups"] = _distinct(e.target_group for e in s.effects)
    out["outcomes"] = _distinct(e.outcome for e in s.effects)
    return out


def study(session: Session, study_id: str, parameters: list[dict]) -> dict | None:
    s = session.get(Study, study_id, options=[selectinload(Study.effects)])
    if s is None:
        return None
    out = {name: getattr(s, name) for name in STUDY_COLUMNS}
    out["effects"] = [{name: getattr(e, name) for name in EFFECT_COLUMNS} for e in s.effects]
    out["parameters"] = [p["id"] for p in parameters if s.id in p["studies"]]
    return out


def suggest_study(session: Session, study_id: str) -> list[str]:
    ids = session.execute(select(Study.id)).scalars().all()
    return difflib.get_close_matches(study_id.lower(), ids, n=3, cutoff=0.5)


def terms(session: Session, vocab: Vocabulary, kind: str, parameters: list[dict]) -> list[dict]:
    """Every term of ``kind`` in hierarchy order, with its study and parameter counts."""
    column = getattr(Effect, FIELD[kind])
    by_term: dict[str, set] = {}
    for value, study_id in session.execute(select(column, Effect.study_id).distinct()):
        if value:
            by_term.setdefault(value, set()).add(study_id)
    out = []
    for t in session.execute(select(Term).where(Term.kind == kind).order_by(Term.path)).scalars():
        below = vocab.descendants(kind, t.slug)
        studies_ = set().union(*(by_term.get(s, set()) for s in below))
        out.append(term_dict(t, vocab, len(studies_), sum(p[FIELD[kind]] == t.slug for p in parameters)))
    return out


def term_dict(t: Term, vocab: Vocabulary, study_count: int, parameter_count: int) -> dict:
    out = {name: getattr(t, name) for name in (
        "slug", "label_da", "label_en", "parent", "path", "depth", "synonyms_da", "synonyms_en", "description_da",
        "description_en", "outcome_type", "desirable", "default_measure", "needs_curation")}
    out["children"] = sorted(c.slug for c in vocab.terms[t.kind].values() if c.parent == t.slug)
    out["study_count"], out["parameter_count"] = study_count, parameter_count
    return out


def term(session: Session, vocab: Vocabulary, kind: str, slug: str, parameters: list[dict]) -> dict:
    """One term with the studies (its own and below) and parameters that use it."""
    t = session.get(Term, (kind, slug))
    if t is None:
        raise UnknownTerm(kind, slug, vocab.suggest(kind, slug))
    column = getattr(Effect, FIELD[kind])
    study_ids = session.execute(select(Effect.study_id).where(column.in_(vocab.descendants(kind, slug)))
                                .distinct().order_by(Effect.study_id)).scalars().all()
    params = [p["id"] for p in parameters if p[FIELD[kind]] == slug]
    out = term_dict(t, vocab, len(study_ids), len(params))
    out["ancestors"] = vocab.ancestors(kind, slug)
    out["studies"], out["parameters"] = list(study_ids), params
    return out
