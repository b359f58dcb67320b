"""Which study results are in a pooled parameter, and which are shown on their own. Flask-free.

An estimate is *pooled* when a stored parameter has a row for it (its study and
effect id); every other estimate of a study is shown as reported, with the
reason it is not pooled. Intervention pages, study pages and the target-group
overview all ask here, so they never disagree about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..constants import FIELD_OF_KIND
from ..db.models import Effect, Parameter, Study

#: Why an estimate is not pooled, by cause (the pages translate these codes).
REPORTED, SINGLE_ARM, FLAGGED, SAME_SAMPLE, NO_PARAMETER = (
    "reported", "single-arm", "flagged", "same-sample", "no-parameter")


@dataclass
class Unpooled:
    effect: Effect
    study: Study
    reason: str  # one of the codes above
    note: str | None = None  # the record's own reason, when it gives one (as written, in English)


@dataclass
class StudyResults:
    """One study's estimates for an intervention page: pooled ones by parameter, the rest on their own."""

    study: Study
    pooled: list[tuple[Effect, list[Parameter]]] = field(default_factory=list)
    unpooled: list[Unpooled] = field(default_factory=list)


def parameters_of(session: Session, kind: str, slugs: set[str] | None) -> list[Parameter]:
    """The stored parameters of any of ``slugs`` (terms of ``kind``); every parameter when ``slugs`` is None."""
    query = select(Parameter)
    if slugs is not None:
        query = query.where(getattr(Parameter, FIELD_OF_KIND[kind]).in_(slugs))
    return list(session.scalars(query))


def pooled_index(params) -> dict[tuple[str, str], list[Parameter]]:
    """(study id, effect id) → the parameters that pool that estimate."""
    out: dict[tuple[str, str], list[Parameter]] = {}
    for p in params:
        for r in p.result.get("rows") or []:
            out.setdefault((r["study"], r["effect"]), []).append(p)
    return out


def reason(e: Effect, pooled_elsewhere: bool = False) -> tuple[str, str | None]:
    """Why ``e`` is in no pooled parameter: a code and the record's own words, if any."""
    if not e.poolable:
        return FLAGGED, e.not_poolable_reason
    if e.form == "single_arm":
        return SINGLE_ARM, None
    if e.yi is None or e.vi is None:
        return REPORTED, None
    return (SAME_SAMPLE if pooled_elsewhere else NO_PARAMETER), None


def for_interventions(session: Session, slugs: set[str]) -> tuple[list[Parameter], list[StudyResults]]:
    """The parameters of ``slugs`` and, per study (newest first), its estimates pooled or not."""
    params = parameters_of(session, "interventions", slugs)
    index = pooled_index(params)
    # an estimate left out because another of its sample is pooled in the same comparison (groups.group)
    samples = {(r["study"], r.get("sample"), p.intervention, p.outcome, p.comparison, p.followup)
               for p in params for r in p.result.get("rows") or []}
    by_study: dict[str, StudyResults] = {}
    query = select(Effect, Study).join(Study).where(Effect.intervention.in_(slugs))
    for e, s in session.execute(query.order_by(Study.year.desc(), Study.id, Effect.position)):
        entry = by_study.setdefault(s.id, StudyResults(s))
        found = index.get((s.id, e.key))
        if found:
            entry.pooled.append((e, found))
        else:
            code, note = reason(e, (s.id, e.sample, e.intervention, e.outcome, e.comparison, e.followup) in samples)
            entry.unpooled.append(Unpooled(e, s, code, note))
    return params, list(by_study.values())


def for_study(session: Session, study: Study) -> dict[str, list[Parameter]]:
    """effect id → the parameters that pool it, for one study."""
    interventions = {e.intervention for e in study.effects}
    params = parameters_of(session, "interventions", interventions)
    return {key: found for (sid, key), found in pooled_index(params).items() if sid == study.id}
