"""Each effect of a study as its page shows it: raw numbers, effect size, conversions, status."""

from __future__ import annotations

import math

from ..constants import Z
from ..db.models import Effect, Parameter, Study
from ..services import results
from ..stats import units
from . import catalog, labels
from .formatting import num


def _computed(e: Effect) -> dict | None:
    if e.yi is None or e.vi is None:
        return None
    se = math.sqrt(e.vi)
    low, high = e.yi - Z * se, e.yi + Z * se
    out = {"yi": e.yi, "vi": e.vi, "se": se, "ci_low": low, "ci_high": high, "ratio": units.is_ratio(e.measure)}
    if out["ratio"]:
        out.update(natural=math.exp(e.yi), natural_low=math.exp(low), natural_high=math.exp(high))
    return out


def effects(study: Study, pooled: dict[str, list[Parameter]]) -> list[dict]:
    """Each effect with the parameters that pool it (``pooled``: effect id → parameters) or why none does."""
    out = []
    samples = {(e.sample, e.intervention, e.outcome, e.comparison, e.followup)
               for e in study.effects if e.key in pooled}
    for e in study.effects:
        params = pooled.get(e.key, [])
        same = (e.sample, e.intervention, e.outcome, e.comparison, e.followup) in samples
        code, note = results.reason(e, same) if not params else (None, None)
        out.append({
            "effect": e,
            "intervention": catalog.label("interventions", e.intervention),
            "target_group": catalog.label("target_groups", e.target_group),
            "outcome": catalog.label("outcomes", e.outcome),
            "comparison": catalog.label("comparisons", e.comparison) if e.comparison else None,
            "followup": labels.followup(e.followup),
            "data": [(str(labels.DATA_FIELDS.get(k, k)), k,
                      v if isinstance(v, str) else num(v, 4).rstrip("0").rstrip(",.")
                      if isinstance(v, float) else v) for k, v in e.data.items()],
            "computed": _computed(e),
            "measure_name": labels.measure(e.measure),
            "anchor": f"{e.target_group}--{e.outcome}--{e.comparison or 'any'}--{e.followup}",
            "parameters": [{"id": p.id, "measure": p.measure, "result": p.result,
                            "target_group": catalog.label("target_groups", p.target_group),
                            "anchor": f"{p.target_group}--{p.outcome}--{p.comparison or 'any'}--{p.followup}",
                            "intervention": p.intervention} for p in params],
            "unpooled": results.Unpooled(e, study, code, note) if code else None,
        })
    return out
