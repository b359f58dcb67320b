"""A study result that is not in a pooled parameter, in its own words and numbers.

Record text (``data.text``, notes, outcome details) is written in English;
on a Danish page it is wrapped in ``lang="en"`` so screen readers switch voice.
"""

from __future__ import annotations

import math

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from ..constants import Z
from ..db.models import Effect
from ..services import results
from ..stats import units
from .formatting import num, pct, signed
from .i18n import current_lang

REASONS = {
    results.REPORTED: _l("Reported without the numbers an effect size with its uncertainty needs "
                         "(group sizes or a standard error)."),
    results.SINGLE_ARM: _l("One group without a comparison group: a result, not an effect, so it is not pooled."),
    results.FLAGGED: _l("Marked as not poolable in the record."),
    results.SAME_SAMPLE: _l("Another estimate from the same sample is pooled instead (a sample counts once)."),
    results.NO_PARAMETER: _l("Not in a pooled result."),
}


def english(text: str | None) -> Markup:
    """Record text, marked as English on a page in another language."""
    if not text:
        return Markup("")
    if current_lang() == "en":
        return escape(text)
    return Markup('<span lang="en">{}</span>').format(text)


def reason(item: results.Unpooled) -> Markup:
    out = escape(str(REASONS[item.reason]))
    if item.note:
        out += Markup(" ") + english(item.note)
    return out


def _share(value) -> str:
    return pct(value, 1 if value < 0.1 or (100 * value) % 1 else 0)


def words(e: Effect, study_n: int | None = None) -> Markup:
    """The result as the study gives it: the two groups' shares, one group's share, or the effect size."""
    d = e.data or {}
    parts: list[Markup] = []
    if e.form == "single_arm":
        if d.get("proportion") is not None:
            share = _share(d["proportion"])
            if d.get("proportion_high") is not None:
                share += "–" + _share(d["proportion_high"])
            parts.append(escape(_("%(share)s in the one group studied (no comparison group)", share=share)))
        elif d.get("events") is not None and d.get("n"):
            parts.append(escape(_("%(events)s of %(n)s in the one group studied (no comparison group)",
                                  events=d["events"], n=d["n"])))
    elif d.get("p1i") is not None and d.get("p2i") is not None:
        parts.append(escape(_("%(treated)s with the intervention and %(control)s without",
                              treated=_share(d["p1i"]), control=_share(d["p2i"]))))
    if e.yi is not None and e.vi is not None and not parts and e.measure == "RD":
        half = Z * math.sqrt(e.vi)
        digits = 0 if abs(100 * e.yi) >= 5 else 1

        def pp(v):
            return signed(100 * v, digits)
        parts.append(escape(_("%(pp)s percentage points (95 %% CI %(low)s to %(high)s)", pp=pp(e.yi),
                              low=pp(e.yi - half), high=pp(e.yi + half))))
    elif e.yi is not None and e.vi is not None and not parts:
        se = math.sqrt(e.vi)
        ratio = units.is_ratio(e.measure)

        def value(v):
            return num(math.exp(v) if ratio else v, 2)
        parts.append(escape(_("%(measure)s %(est)s (95 %% CI %(low)s to %(high)s)", measure=e.measure,
                              est=value(e.yi), low=value(e.yi - Z * se), high=value(e.yi + Z * se))))
    if d.get("text"):
        parts.append(Markup("“") + english(d["text"]) + Markup("”"))
    n = d.get("n_total") or e.n_participants or d.get("n")
    if n and n != study_n:
        parts.append(escape(_("%(n)s participants", n=num(n, 0))))
    return Markup("; ").join(parts)
