"""Coverage by SØM area: how much evidence the built knowledge base holds for each area.

Flask-free: ``evidence stats`` prints it, and a page can call :func:`area_coverage`
with any SQLAlchemy connection or session. An effect, study or parameter belongs to
the area its target group sits under (the root of the target group's path, as the
build stores it), so a parameter that pools several groups of one area counts there.
"""

from __future__ import annotations

from sqlalchemy import select

from ..db.models import Effect, Parameter, Term
from ..records.vocabulary import AREAS

#: A pooled parameter from this many studies counts as covering its intervention.
MIN_K = 3


def area_coverage(conn, min_k: int = MIN_K) -> dict[str, dict]:
    """Per SØM area: its labels, and the number of studies, effects, interventions and parameters with k ≥ ``min_k``.

    ``interventions_k3`` counts the interventions that have at least one such parameter.
    Areas come in SØM's order, each always present (zeros when nothing is there yet).
    """
    rows = conn.execute(select(Term.slug, Term.path, Term.label_da, Term.label_en)
                        .where(Term.kind == "target_groups")).all()
    area_of = {slug: path.split("/")[0] for slug, path, _, _ in rows}
    labels = {slug: (da, en) for slug, _, da, en in rows}
    out = {area: {"label_da": labels.get(area, (None, None))[0], "label_en": labels.get(area, (None, None))[1],
                  "studies": set(), "effects": 0, "interventions": set(), "parameters_k3": 0,
                  "interventions_k3": set()} for area in AREAS}
    for study, target_group, intervention in conn.execute(
            select(Effect.study_id, Effect.target_group, Effect.intervention)):
        area = out.get(area_of.get(target_group))
        if area is not None:
            area["studies"].add(study)
            area["effects"] += 1
            area["interventions"].add(intervention)
    for intervention, target_group in conn.execute(
            select(Parameter.intervention, Parameter.target_group).where(Parameter.k >= min_k)):
        area = out.get(area_of.get(target_group))
        if area is not None:
            area["parameters_k3"] += 1
            area["interventions_k3"].add(intervention)
    for area in out.values():
        for key in ("studies", "interventions", "interventions_k3"):
            area[key] = len(area[key])
    return out
