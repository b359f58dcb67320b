"""The target-group overview as a page shows it: each row's effect in words and numbers, in the page language.

The rows and their order come from :mod:`evidence.services.overview`; this
module only words them (``wording``), so the overview reads exactly as the
intervention pages do.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..db.extension import db
from ..services import overview
from . import catalog, labels, reported, wording
from .formatting import integer
from .sections import level_text


@dataclass
class Line:
    row: overview.Row
    url: str
    intervention: str
    outcome: str
    group: str | None  # the target group of the headline result, when it is not the page's own
    headline: str
    numbers: str | None
    measure_line: str | None
    level: str | None
    followup: str | None
    studies: str
    pooled: str | None  # "pooled from 3 studies" when fewer studies are pooled than listed
    participants: str | None
    nordic: str | None
    reported: list  # the results shown as reported, when nothing is pooled


def _anchor(p) -> str:
    return f"{p.target_group}--{p.outcome}--{p.comparison or 'any'}--{p.followup}"


def _line(row: overview.Row, slug: str) -> Line:
    p = row.parameter
    outcome = catalog.label("outcomes", row.outcome)
    if p is not None:
        unit = overview.unit_of(db.session(), p) if p.measure == "MD" else None
        words = wording.describe(p.result, outcome, unit)
        headline, numbers, measure_line = words.headline, words.numbers, words.measure_line
        url = url_for("interventions.show", slug=row.intervention, _anchor=_anchor(p))
        level, followup = level_text(p.result, short=True), labels.followup(p.followup)
        if row.others:
            followup += " · " + ngettext("%(num)s more pooled result on the intervention page",
                                         "%(num)s more pooled results on the intervention page", row.others)
        pooled_k = len({r["study"] for r in p.result.get("rows") or []}) or p.k
        pooled = ngettext("pooled from %(num)s study", "pooled from %(num)s studies", pooled_k) \
            if pooled_k != row.k else None
        shown = [(e, reported.words(e, e.study.sample_size)) for e in row.unpooled]
    else:
        headline = _("Not pooled: the results are shown as the studies report them")
        numbers = measure_line = level = pooled = None
        url = url_for("interventions.show", slug=row.intervention, _anchor="studies-title")
        followup = ", ".join(sorted({labels.followup(e.followup) for e in row.effects}))
        shown = [(e, reported.words(e, e.study.sample_size)) for e in row.effects]
    nordic = None
    if row.nordic:
        nordic = ngettext("%(num)s Nordic", "%(num)s Nordic", row.nordic)
        if row.danish:
            nordic += " " + ngettext("(%(num)s Danish)", "(%(num)s Danish)", row.danish)
    return Line(row, url, catalog.label("interventions", row.intervention), outcome,
                catalog.label("target_groups", p.target_group) if p is not None and p.target_group != slug else None,
                headline, numbers, measure_line, level, followup,
                ngettext("%(num)s study", "%(num)s studies", row.k), pooled,
                ngettext("%(n)s participant", "%(n)s participants", row.participants or 0,
                         n=integer(row.participants))
                if row.participants else None,
                nordic, shown)


def lines(slug: str, sort: str) -> list[Line]:
    session = db.session()
    rows = overview.ordered(overview.target_group(session, slug), sort, overview.desirable_by_outcome(session))
    return [_line(r, slug) for r in rows]
