"""A pooled parameter in words and numbers, in the page language.

"Reduces recidivism from 35 % to 26 %, −9 percentage points (95 % CI −12 to
−6)": binary outcomes use the stored control and treated risks and the
percentage-point change; continuous outcomes the mean difference in the
outcome's own units, the SMD in standard deviations, or the ratio of means
as a percentage. A direction of "unclear" (the interval includes no effect)
never reads as "reduces" or "increases".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..stats import units
from .formatting import num, pct, signed
from .i18n import current_lang

#: Stands for the unit while a sentence is composed; replaced by the unit marked as English.
UNIT = "\x00unit\x00"


@dataclass
class Wording:
    headline: str  # the effect in words
    numbers: str  # the main number with its confidence interval
    measure_line: str | None  # the effect measure on its natural scale, when the numbers do not show it
    prediction: str | None  # where the effect in a new setting may lie


def lower_first(label: str) -> str:
    """'Recidivism (reoffending)' -> 'recidivism (reoffending)'; 'TB' stays."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def natural(measure: str, value):
    if value is None:
        return None
    return math.exp(value) if units.is_ratio(measure) else value


def _ci(low, high, fmt) -> str:
    return _("95 %% CI %(low)s to %(high)s", low=fmt(low), high=fmt(high))


def measure_line(r: dict) -> str:
    m = r["measure"]
    if m == "RD":  # a risk difference reads in percentage points, never as a bare proportion
        digits = 0 if max(abs(100 * r["ci_low"]), abs(100 * r["ci_high"])) >= 5 else 1

        def pp(v):
            return signed(100 * v, digits)
        return "RD " + _("%(pp)s percentage points (95 %% CI %(low)s to %(high)s)", pp=pp(r["estimate"]),
                         low=pp(r["ci_low"]), high=pp(r["ci_high"]))
    digits = 2 if m in ("OR", "RR", "ROM", "SMD", "RD") else 1

    def fmt(v):
        return num(natural(m, v), digits)

    return f"{m} {fmt(r['estimate'])} ({_ci(r['ci_low'], r['ci_high'], fmt)})"


def _prediction(r: dict) -> str | None:
    m, lo, hi = r["measure"], r.get("pi_low"), r.get("pi_high")
    if lo is None or hi is None or r.get("k", 0) < 3:
        return None
    if r.get("control_risk") is not None and m in ("OR", "RR", "RD"):
        pp = units.risk_difference_pp(r["control_risk"], m, r["estimate"], lo, hi)
        digits = 0 if max(abs(pp[1]), abs(pp[2])) >= 5 else 1
        return _("In a new setting the change may lie between %(low)s and %(high)s percentage points "
                 "(95 %% prediction interval; %(measure)s %(nlow)s to %(nhigh)s).",
                 low=signed(pp[1], digits), high=signed(pp[2], digits), measure=m,
                 nlow=num(natural(m, lo)), nhigh=num(natural(m, hi)))
    digits = 2 if m != "MD" else 1
    return _("In a new setting the effect may lie between %(measure)s %(low)s and %(high)s "
             "(95 %% prediction interval).", measure=m, low=num(natural(m, lo), digits),
             high=num(natural(m, hi), digits))


def describe(r: dict, outcome_label: str, unit: str | None = None) -> Wording:
    """The parameter ``r`` (a stored result) for an outcome called ``outcome_label``."""
    m, unclear = r["measure"], r.get("direction") == "unclear"
    outcome = lower_first(outcome_label)
    if m in ("OR", "RR", "RD") and r.get("control_risk") is not None and r.get("treated_risk") is not None:
        small = min(r["control_risk"], r["treated_risk"]) < 0.1
        before, after = pct(r["control_risk"], 1 if small else 0), pct(r["treated_risk"], 1 if small else 0)
        if unclear:
            headline = _("No clear effect on %(outcome)s: %(before)s without and %(after)s with the intervention",
                         outcome=outcome, before=before, after=after)
        elif r["treated_risk"] < r["control_risk"]:
            headline = _("Reduces %(outcome)s from %(before)s to %(after)s", outcome=outcome, before=before,
                         after=after)
        else:
            headline = _("Increases %(outcome)s from %(before)s to %(after)s", outcome=outcome, before=before,
                         after=after)
        pp, lo, hi = r["risk_difference_pp"], r["risk_difference_pp_ci_low"], r["risk_difference_pp_ci_high"]
        digits = 0 if max(abs(pp), abs(lo), abs(hi)) >= 5 else 1
        numbers = _("%(pp)s percentage points (%(ci)s)", pp=signed(pp, digits),
                    ci=_ci(lo, hi, lambda v: signed(v, digits)))
        return Wording(headline, numbers, measure_line(r), _prediction(r))
    headline, numbers = _continuous(r, outcome, UNIT if unit else None, unclear)
    if unit:
        headline, numbers = _with_unit(headline, unit), _with_unit(numbers, unit)
    return Wording(headline, numbers, None, _prediction(r))


def _with_unit(text: str, unit: str):
    """``text`` with the unit put in; the unit is record text, in English, marked so on other pages."""
    if current_lang() == "en":
        return text.replace(UNIT, unit)
    return Markup(escape(text).replace(UNIT, Markup('<span lang="en">{}</span>').format(unit)))


def _continuous(r: dict, outcome: str, unit: str | None, unclear: bool) -> tuple[str, str]:
    m, est = r["measure"], r["estimate"]
    nat = natural(m, est)
    if m in ("OR", "RR", "ROM"):
        amount = pct(abs(1 - nat))
        what = {"OR": _("the odds of %(outcome)s", outcome=outcome),
                "RR": _("the risk of %(outcome)s", outcome=outcome),
                "ROM": outcome}[m]
        numbers = measure_line(r)
    elif m == "SMD":
        amount = _("%(value)s standard deviations", value=num(abs(est)))
        what = outcome
        numbers = measure_line(r)
        if r.get("wwc_improvement_index") is not None:
            numbers += "; " + _("about %(points)s percentile points for an average participant",
                                points=signed(r["wwc_improvement_index"], 0))
    elif m == "RD":
        digits = 0 if abs(100 * est) >= 5 else 1
        amount = _("%(value)s percentage points", value=num(abs(100 * est), digits))
        what = outcome
        numbers = _("%(pp)s percentage points (%(ci)s)", pp=signed(100 * est, digits),
                    ci=_ci(100 * r["ci_low"], 100 * r["ci_high"], lambda v: signed(v, digits)))
    elif m == "MD":
        shown = unit or _("in the studies' own units (not stated)")
        amount = num(abs(est), 1) + f" {shown}"
        what = outcome
        numbers = measure_line(r) + f" ({shown})"
    else:
        amount = num(abs(est), 2)
        what = outcome
        numbers = measure_line(r)
    if unclear:
        return _("No clear effect on %(outcome)s", outcome=what), numbers
    if nat < (1 if units.is_ratio(m) else 0):
        return _("Reduces %(outcome)s by %(amount)s", outcome=what, amount=amount), numbers
    return _("Increases %(outcome)s by %(amount)s", outcome=what, amount=amount), numbers
