"""What an intervention page shows for each target group × outcome × comparison × follow-up.

A *section* holds the parameters of one such cell in every measure; the
outcome's default measure is shown first and the others on request
(``?measure=`` applies to every section that has it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..db.extension import db
from ..db.models import Parameter
from ..records.followup import WINDOWS
from ..services import overview, results
from ..stats import units
from . import calculator, catalog, forest, labels, strength_text, wording
from .formatting import num

FOLLOWUP_ORDER = {slug: i for i, (slug, _da, _en) in enumerate(WINDOWS)}


@dataclass
class Section:
    anchor: str
    target_group: str
    outcome: str
    comparison: str | None
    followup: str
    shown: Parameter
    others: list[Parameter] = field(default_factory=list)
    words: wording.Wording | None = None
    svg: object = None
    sensitivity: dict = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    box: dict = field(default_factory=dict)
    unit: str | None = None
    names: dict = field(default_factory=dict)
    study_rows: list = field(default_factory=list)  # one forest row per study, with the rows behind it
    level_text: str = ""


def sections(intervention: str, measure: str | None = None) -> list[Section]:
    """The sections of ``intervention`` and of every intervention below it (those after its own)."""
    slugs = catalog.descendants("interventions", intervention)
    rows = results.parameters_of(db.session(), "interventions", slugs)
    cells: dict[tuple, list[Parameter]] = {}
    for p in rows:
        cells.setdefault((p.intervention, p.target_group, p.outcome, p.comparison, p.followup), []).append(p)
    out = []
    for (iv, tg, oc, comp, fu), params in cells.items():
        outcome = catalog.term("outcomes", oc)
        default = outcome.default_measure if outcome else None
        params.sort(key=lambda p: (p.measure != measure, p.measure != default, p.measure))
        anchor = (f"{tg}--{oc}--{comp or 'any'}--{fu}" if iv == intervention
                  else f"{iv}--{tg}--{oc}--{comp or 'any'}--{fu}")
        out.append(Section(anchor, tg, oc, comp, fu, params[0], params[1:]))
    tg_path = {s: t.path for s, t in catalog.terms()["target_groups"].items()}
    iv_path = {s: t.path for s, t in catalog.terms()["interventions"].items()}
    out.sort(key=lambda s: (iv_path.get(s.shown.intervention, ""), catalog.label("outcomes", s.outcome).lower(),
                            tg_path.get(s.target_group, s.target_group), s.comparison or "",
                            FOLLOWUP_ORDER.get(s.followup, 9)))
    return out


RANDOMISED = ("rct", "cluster-rct")


def level_text(r: dict, short: bool = False) -> str:
    """The evidence level with the share of its studies that are randomised ("Level 1: 12 of 13 randomised")."""
    designs = {}
    for row in r.get("rows") or []:
        designs.setdefault(row["study"], row.get("design"))
    n, rct = len(designs), sum(d in RANDOMISED for d in designs.values())
    share = ngettext("%(rct)s of %(num)s study is randomised", "%(rct)s of %(num)s studies are randomised", n, rct=rct)
    name = labels.level_short if short else labels.level
    return f"{name(r.get('evidence_level'))} ({share})"


def studies_text(r: dict) -> str:
    """"3 studies" or, when studies give several estimates, "3 studies, 7 estimates"."""
    k = r.get("k") or 0
    k_effects = r.get("k_effects")
    studies = len({row["study"] for row in r.get("rows") or []}) or k
    if k_effects is None:
        k_effects = len(r.get("rows") or []) or k
    text = ngettext("%(num)s study", "%(num)s studies", studies)
    if k_effects != studies:
        text += ", " + ngettext("%(num)s estimate", "%(num)s estimates", k_effects)
    return text


def _sensitivity(r: dict) -> dict:
    sens, m = r.get("sensitivity") or {}, r["measure"]
    names = {row["study"]: row["label"] for row in r.get("rows") or []}
    out = {}
    loo = sens.get("leave_one_out") or []
    if loo:
        low = min(loo, key=lambda e: e["estimate"])
        high = max(loo, key=lambda e: e["estimate"])
        out["loo"] = _("Leaving out one study at a time, the pooled %(measure)s ranges from %(low)s "
                       "(without %(low_study)s) to %(high)s (without %(high_study)s).", measure=m,
                       low=num(wording.natural(m, low["estimate"])),
                       low_study=names.get(low["omitted"], low["omitted"]),
                       high=num(wording.natural(m, high["estimate"])),
                       high_study=names.get(high["omitted"], high["omitted"]))
    rct = sens.get("rct_only")
    if rct:
        out["rct"] = _("Randomised trials only (%(k)s studies): %(measure)s %(est)s (95 %% CI %(low)s to %(high)s).",
                       k=rct["k"], measure=m, est=num(wording.natural(m, rct["estimate"])),
                       low=num(wording.natural(m, rct["ci_low"])), high=num(wording.natural(m, rct["ci_high"])))
    return out


def _texts(section: Section, r: dict) -> forest.Texts:
    outcome = catalog.term("outcomes", section.outcome)
    lower_better = outcome is not None and outcome.desirable == "lower"
    log = units.is_ratio(r["measure"])
    axis = _("%(measure)s (%(name)s), log scale", measure=r["measure"], name=labels.measure(r["measure"])) if log \
        else _("%(measure)s (%(name)s)", measure=r["measure"], name=labels.measure(r["measure"]))
    if r["measure"] == "MD":
        axis += ", " + (section.unit or _("in the studies' own units (not stated)"))
    favours_int, favours_ctl = _("favours the intervention"), _("favours the comparison")
    return forest.Texts(
        title=_("Forest plot: %(outcome)s, %(group)s", outcome=catalog.label("outcomes", section.outcome),
                group=catalog.label("target_groups", section.target_group)),
        description=_("%(studies)s, each with its 95 %% confidence interval; the diamond is the pooled "
                      "estimate, the bar below it the 95 %% prediction interval.", studies=studies_text(r)),
        study=_("Study"), estimate=_("Estimate [95% CI]"), weight=_("Weight (%)"), pooled=_("Pooled (random effects)"),
        prediction=_("Prediction interval"), axis=axis,
        favours_left=favours_int if lower_better else favours_ctl,
        favours_right=favours_ctl if lower_better else favours_int)


def fill(section: Section, dataset_version: str | None, built_at: str | None) -> Section:
    """Compute everything the template shows for the section's shown parameter."""
    p = section.shown
    r = p.result
    if r["measure"] == "MD":
        section.unit = overview.unit_of(db.session(), p)
    section.study_rows = forest.study_rows(r)
    section.level_text = level_text(r)
    section.words = wording.describe(r, catalog.label("outcomes", p.outcome), section.unit)
    section.svg = forest.render(r, _texts(section, r), num, uid=svg_id(p.id))
    section.sensitivity = _sensitivity(r)
    section.reasons = [strength_text.reason(x) for x in r.get("strength_reasons") or []]
    names = {"intervention": catalog.label("interventions", p.intervention),
             "outcome": catalog.label("outcomes", p.outcome),
             "target_group": catalog.label("target_groups", p.target_group),
             "followup": labels.followup(p.followup)}
    url = url_for("interventions.show", slug=p.intervention, _external=True, _anchor=section.anchor)
    section.names = {**names, "comparison": catalog.label("comparisons", p.comparison) if p.comparison else None,
                     "others": [{"measure": o.measure, "name": labels.measure(o.measure),
                                 "line": wording.measure_line(o.result),
                                 "direction": o.direction} for o in section.others]}
    section.box = {"json": calculator.as_json(r, dataset_version), "csv": calculator.as_csv(r, dataset_version),
                   "citation": calculator.citation(r, names, dataset_version, url, built_at)}
    return section



def svg_id(parameter_id: str, prefix: str = "fp") -> str:
    """A chart's element id (the forest plot's, "fp"; the business case's, "nc"): the same in every process
    (Python's hash() is salted per process, and the pages carry a strong ETag)."""
    return f"{prefix}-" + hashlib.blake2s(parameter_id.encode("utf-8"), digest_size=4).hexdigest()
