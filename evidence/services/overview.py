"""What works for a target group: one comparable row per intervention × outcome. Flask-free.

The pages (``/``, ``/target-groups/<slug>``, ``/map``) and any API ask here, so
they list the same interventions with the same numbers.

*Areas* are the roots of the target-group hierarchy (the SØM areas once the
vocabulary has them); an area's target groups are the terms below it.

For a target group ``T`` (with every group below it) a row stands for one
intervention on one outcome. Its *headline* is the pooled parameter that best
answers "what does it do for T": the parameter at ``T`` itself, else the one
at the broadest group below it; then the outcome's default measure, the most
studies, the earliest follow-up window. An intervention × outcome with study
results but no pooled parameter still gets a row, holding those results (shown
as reported, never ranked by effect).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Effect, Parameter, Study, Term
from ..records.followup import WINDOWS
from .effects import LOGIT_TO_SMD
from .results import pooled_index

#: Countries counted as Danish or Nordic (records name countries in English).
NORDIC = frozenset({"Denmark", "Norway", "Sweden", "Finland", "Iceland", "Faroe Islands", "Greenland"})
DANISH = frozenset({"Denmark", "Faroe Islands", "Greenland"})
SORTS = ("strength", "effect", "studies")
FOLLOWUP_ORDER = {slug: i for i, (slug, _da, _en) in enumerate(WINDOWS)}


@dataclass
class Area:
    term: Term
    groups: list[Term]  # the target groups below the area, parents before children
    studies: int


@dataclass
class Row:
    """One intervention × outcome for a target group."""

    intervention: str
    outcome: str
    parameter: Parameter | None  # the headline; None when nothing is pooled
    effects: list[Effect] = field(default_factory=list)  # every estimate behind the row (pooled or not)
    studies: list[Study] = field(default_factory=list)  # the studies with a result on this row
    others: int = 0  # other pooled results of this intervention × outcome (groups, follow-ups, comparisons)
    unpooled: list[Effect] = field(default_factory=list)  # estimates in no pooled result, shown as reported

    @property
    def k(self) -> int:
        return len(self.studies)

    @property
    def participants(self) -> int | None:
        """Participants over the row's studies: each study's sample size, else its largest estimate's n."""
        known = []
        for s in self.studies:
            n = s.sample_size or max((e.n_participants or 0 for e in self.effects if e.study_id == s.id), default=0)
            if n:
                known.append(n)
        return sum(known) if known else None

    @property
    def nordic(self) -> int:
        return sum(s.country in NORDIC for s in self.studies)

    @property
    def danish(self) -> int:
        return sum(s.country in DANISH for s in self.studies)

    @property
    def strength(self) -> int:
        return self.parameter.strength if self.parameter else -1

    def comparable(self, desirable: str | None) -> float | None:
        return comparable_effect(self.parameter.result, desirable) if self.parameter else None


def _terms(session: Session, kind: str) -> dict[str, Term]:
    return {t.slug: t for t in session.scalars(select(Term).where(Term.kind == kind).order_by(Term.path))}


def below(pool: dict[str, Term], slug: str) -> set[str]:
    """``slug`` and every term under it."""
    return {s for s, t in pool.items() if slug in t.path.split("/")}


def areas(session: Session, lang: str = "da") -> list[Area]:
    """The roots of the target-group hierarchy that have studies, each with its groups (by label; roots with
    groups first)."""
    pool = _terms(session, "target_groups")
    counts: dict[str, set] = {}
    for group, study in session.execute(select(Effect.target_group, Effect.study_id).distinct()):
        for slug in pool[group].path.split("/") if group in pool else ():
            counts.setdefault(slug, set()).add(study)
    roots = sorted((t for t in pool.values() if t.parent is None), key=lambda t: t.label(lang).lower())
    out = []
    for root in roots:
        n = len(counts.get(root.slug, ()))
        if not n:
            continue
        groups = [t for t in pool.values() if t.slug != root.slug and root.slug in t.path.split("/")
                  and counts.get(t.slug)]
        groups.sort(key=lambda t: [pool[s].label(lang).lower() for s in t.path.split("/") if s in pool])
        out.append(Area(root, groups, n))
    # areas with target groups below them first (the SØM areas), then roots that stand alone
    return sorted(out, key=lambda a: not a.groups)


def study_counts(session: Session) -> dict[str, int]:
    """Studies per target group, counting every group below it."""
    pool = _terms(session, "target_groups")
    seen: dict[str, set] = {}
    for group, study in session.execute(select(Effect.target_group, Effect.study_id).distinct()):
        for slug in pool[group].path.split("/") if group in pool else (group,):
            seen.setdefault(slug, set()).add(study)
    return {slug: len(ids) for slug, ids in seen.items()}


def comparable_effect(result: dict, desirable: str | None) -> float | None:
    """The pooled effect on a standardised-mean-difference scale, positive when it goes the desirable way.

    SMD as it is; log OR × √3/π (Borenstein et al. 2009, eq. 7.1); log RR the
    same (an approximation for rare events, where RR ≈ OR); RD as the log OR of
    the pooled control risk and the treated risk it implies. MD and ratios of
    means have no common scale without the outcome's SD: None (sorted last).
    """
    m, est = result.get("measure"), result.get("estimate")
    if est is None:
        return None
    if m == "SMD":
        value = est
    elif m in ("OR", "RR"):
        value = est * LOGIT_TO_SMD
    elif m == "RD" and result.get("control_risk") is not None and result.get("treated_risk") is not None:
        c, t = result["control_risk"], result["treated_risk"]
        if not (0 < c < 1 and 0 < t < 1):
            return None
        value = (math.log(t / (1 - t)) - math.log(c / (1 - c))) * LOGIT_TO_SMD
    else:
        return None
    if desirable == "lower":
        value = -value
    return value if math.isfinite(value) else None


def _headline(params: list[Parameter], group: str, depth: dict[str, int], default_measure: str | None):
    def key(p: Parameter):
        return (p.target_group != group, depth.get(p.target_group, 99), p.measure != default_measure, -p.k,
                FOLLOWUP_ORDER.get(p.followup, 9), p.id)

    return min(params, key=key) if params else None


def target_group(session: Session, slug: str) -> list[Row]:
    """The rows for ``slug`` and every group below it, unsorted (see :func:`ordered`)."""
    groups_pool = _terms(session, "target_groups")
    outcomes = _terms(session, "outcomes")
    groups = below(groups_pool, slug)
    depth = {s: t.depth for s, t in groups_pool.items()}
    params: dict[tuple, list[Parameter]] = {}
    for p in session.scalars(select(Parameter).where(Parameter.target_group.in_(groups))):
        params.setdefault((p.intervention, p.outcome), []).append(p)
    effects: dict[tuple, list[Effect]] = {}
    studies: dict[str, Study] = {}
    query = select(Effect, Study).join(Study).where(Effect.target_group.in_(groups))
    for e, s in session.execute(query.order_by(Effect.study_id, Effect.position)):
        effects.setdefault((e.intervention, e.outcome), []).append(e)
        studies[s.id] = s
    rows = []
    for key in set(params) | set(effects):
        outcome = outcomes.get(key[1])
        found = params.get(key, [])
        head = _headline(found, slug, depth, outcome.default_measure if outcome else None)
        own = effects.get(key, [])
        ids = sorted({e.study_id for e in own}, key=lambda i: (-(studies[i].year or 0), i))
        pooled = pooled_index(found)
        rows.append(Row(key[0], key[1], head, own, [studies[i] for i in ids],
                        others=len({(p.target_group, p.comparison, p.followup) for p in found}) - 1 if found else 0,
                        unpooled=[e for e in own if (e.study_id, e.key) not in pooled]))
    return rows


def ordered(rows: list[Row], sort: str, desirable: dict[str, str | None]) -> list[Row]:
    """Rows by ``sort`` (strength, effect or studies), pooled rows before results shown as reported."""
    def effect(r: Row) -> float:
        value = r.comparable(desirable.get(r.outcome))
        return -value if value is not None else math.inf

    keys = {
        "strength": lambda r: (r.parameter is None, -r.strength, effect(r), -r.k, r.intervention, r.outcome),
        "effect": lambda r: (r.parameter is None, effect(r), -r.strength, -r.k, r.intervention, r.outcome),
        "studies": lambda r: (-r.k, r.parameter is None, -r.strength, effect(r), r.intervention, r.outcome),
    }
    return sorted(rows, key=keys[sort if sort in keys else "strength"])


def desirable_by_outcome(session: Session) -> dict[str, str | None]:
    return {slug: t.desirable for slug, t in _terms(session, "outcomes").items()}


def common_unit(details) -> str | None:
    """The unit shared by the estimates' outcome details, if they share one.

    "percentage of days stably housed (site A)" and "… (site B)" share
    "percentage of days stably housed": a trailing parenthesis naming a site or
    sample is not part of the unit.
    """
    stripped = set()
    for d in details:
        if not d:
            return None
        d = d.strip()
        if d.endswith(")") and " (" in d:
            d = d[:d.rindex(" (")]
        stripped.add(d)
    return stripped.pop() if len(stripped) == 1 else None


def unit_of(session: Session, p: Parameter) -> str | None:
    """The unit of a mean-difference parameter, from its estimates' outcome details."""
    rows = p.result.get("rows") or []
    wanted = {(r["study"], r["effect"]) for r in rows}
    found = session.execute(select(Effect.study_id, Effect.key, Effect.outcome_detail).where(
        Effect.intervention == p.intervention, Effect.outcome == p.outcome, Effect.study_id.in_(p.studies)))
    return common_unit([d for s, k, d in found if (s, k) in wanted])
