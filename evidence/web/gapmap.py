"""The evidence-and-gap map: interventions × outcomes, optionally for one target group.

A cell counts the studies (with an effect of that intervention, or one below
it, on that outcome or one below it, for the target group or any group below it) and shows the pooled
direction and strength of the parameter that best stands for the cell: the
chosen target group itself (else the largest pool below it; with no group
chosen, the broadest group), the outcome's default measure, the most studies.
Empty cells are gaps.
"""

from __future__ import annotations

from flask import url_for

from ..db.extension import db
from ..db.models import Parameter
from ..services import results, studies
from . import catalog


def _best(params: list[Parameter], default_measure: str | None, target_group: str | None) -> Parameter | None:
    if not params:
        return None
    depth = {s: t.depth for s, t in catalog.terms()["target_groups"].items()}

    def key(p: Parameter):
        exact = p.target_group == target_group if target_group else True
        return (not exact, depth.get(p.target_group, 9), p.measure != default_measure, -p.k, p.followup)

    return min(params, key=key)


def _rolled_up(rows) -> dict[tuple, int]:
    """Distinct studies per (intervention, outcome), each counted under every ancestor too."""
    terms = catalog.terms()
    seen: dict[tuple, set] = {}
    for intervention, outcome, study in rows:
        for i in _path(terms["interventions"], intervention):
            for o in _path(terms["outcomes"], outcome):
                seen.setdefault((i, o), set()).add(study)
    return {key: len(studies) for key, studies in seen.items()}


def _path(pool: dict, slug: str) -> list[str]:
    term = pool.get(slug)
    return term.path.split("/") if term else [slug]


def gap_map(target_group: str | None) -> dict:
    """The map for ``target_group`` (and the groups below it), or for everyone.

    Narrowed to a group, the map keeps only the interventions and outcomes with
    a study for that group (their parents included), so a phone shows what
    exists for the group; unnarrowed, every term is a row or column and the
    empty cells are the gaps.
    """
    _ = catalog.terms()
    groups = catalog.descendants("target_groups", target_group) if target_group else None
    n = _rolled_up(studies.studied_cells(db.session(), groups))
    by_cell: dict[tuple, list[Parameter]] = {}
    for p in results.parameters_of(db.session(), "target_groups", groups):
        by_cell.setdefault((p.intervention, p.outcome), []).append(p)
    interventions, outcomes = catalog.tree("interventions"), catalog.tree("outcomes")
    if groups is not None:
        interventions = [i for i in interventions if any(key[0] == i.slug for key in n)]
        outcomes = [o for o in outcomes if any(key[1] == o.slug for key in n)]
    rows = []
    for i in interventions:
        cells = []
        for o in outcomes:
            best = _best(by_cell.get((i.slug, o.slug), []), o.default_measure, target_group)
            cells.append({
                "outcome": o, "studies": n.get((i.slug, o.slug), 0), "parameter": best,
                "url": url_for("interventions.show", slug=i.slug,
                               _anchor=f"{best.target_group}--{best.outcome}--"
                                       f"{best.comparison or 'any'}--{best.followup}")
                if best else None,
            })
        rows.append({"intervention": i, "cells": cells, "studied": [c for c in cells if c["studies"]]})
    return {"outcomes": outcomes, "rows": rows}
