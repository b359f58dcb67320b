"""What the *Beregn* page shows: the form's values, the result in words, the chart and the tables.

The numbers come from :func:`evidence.services.business_case.calculate`
(the same as ``/api/v1/business-case``); this module only words and lays
them out in the page's language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from . import netchart
from .formatting import num, pct
from .i18n import current_lang
from .wording import lower_first

#: The form's fields in order, with the API's names and defaults (None: taken from the parameter).
FIELDS = ("participants", "horizon", "price", "quantity", "baseline_risk", "duration", "fade", "cost",
          "cost_year", "discount_rate", "interval", "seed")


def payer_name(payer: str) -> str:
    return {"kommune": _("the municipality"), "region": _("the region"), "stat": _("the state"),
            "total": _("the public sector in total")}[payer]


def payer_title(payer: str) -> str:
    return {"kommune": _("Municipality"), "region": _("Region"), "stat": _("State"), "total": _("Total")}[payer]


def unit_name(unit: str) -> str:
    return {"event": _("event"), "day": _("day"), "month": _("month"), "year": _("year")}[unit]


def kroner(value) -> str:
    return _("%(amount)s kr.", amount=num(value, 0))


def _range(stat: dict, fmt) -> str:
    return _("95 %%: %(low)s to %(high)s", low=fmt(stat["low"]), high=fmt(stat["high"]))


def words(case: dict) -> list[str]:
    """The result in sentences: events avoided, the net result per payer and in total, the chance of a gain."""
    a, p, totals = case["assumptions"], case["parameter"], case["totals"]
    lang = current_lang()
    outcome = lower_first(p[f"outcome_label_{lang}"] or p["outcome"])
    events = totals["events_avoided"]
    if events["estimate"] < 0:  # the pooled estimate points the wrong way: say so, with the band turned round
        events = {"estimate": -events["estimate"], "low": -events["high"], "high": -events["low"]}
        worse = True
    else:
        worse = False
    count = num(events["estimate"], 1)
    band = _range(events, lambda v: num(v, 1))
    n, years = num(a["participants"], 0), a["horizon"]
    if p["outcome_desirable"] == "lower" and not worse:
        first = _("With %(n)s participants, %(count)s fewer cases of %(outcome)s are expected over %(years)s "
                  "years (%(band)s).", n=n, count=count, outcome=outcome, years=years, band=band)
    elif p["outcome_desirable"] == "lower":
        first = _("With %(n)s participants, %(count)s more cases of %(outcome)s are expected over %(years)s "
                  "years (%(band)s).", n=n, count=count, outcome=outcome, years=years, band=band)
    elif not worse:
        first = _("With %(n)s participants, %(count)s more participants with %(outcome)s are expected over "
                  "%(years)s years (%(band)s).", n=n, count=count, outcome=outcome, years=years, band=band)
    else:
        first = _("With %(n)s participants, %(count)s fewer participants with %(outcome)s are expected over "
                  "%(years)s years (%(band)s).", n=n, count=count, outcome=outcome, years=years, band=band)
    out = [first]
    for payer in [*case["payers"], "total"]:
        pv = totals["present_value"][payer]
        out.append(_("Net result for %(payer)s after %(years)s years, in present value: %(net)s (%(band)s); "
                     "probability of a gain: %(p)s.", payer=payer_name(payer), years=a["horizon"],
                     net=kroner(pv["estimate"]), band=_range(pv, kroner),
                     p=pct(totals["probability_net_positive"][payer])))
    if not case["price"]:
        out.append(_("No price is chosen, so there are no savings: choose a price to value the events avoided."))
    return out


def chart(case: dict, uid: str):
    texts = netchart.Texts(
        title=_("Net result per year, the public sector in total"),
        description=_("Bars: the net result each year at the pooled estimate; lines: its 95 % interval "
                      "from the Monte Carlo simulation."),
        year=_("Year"), axis=_("Net result (kr.)"), legend_bar=_("Net result at the pooled estimate"),
        legend_band=_("95 % interval"))
    return netchart.render(case["years"], "total", texts, lambda v: num(v, 0), uid)


def table(case: dict) -> dict:
    """Header and rows of the yearly table: events avoided, savings and net per payer, cost."""
    payers = case["payers"]
    head = [_("Year"), _("Events avoided")] + [_("Savings, %(payer)s", payer=payer_title(p)) for p in
                                                 case["totals"]["savings"]] + [_("Cost")] + \
        [_("Net, %(payer)s", payer=payer_title(p)) for p in [*payers, "total"]]
    rows = []
    for row in case["years"]:
        cells = [num(row["events_avoided"]["estimate"], 1)]
        cells += [num(v["estimate"], 0) for v in row["savings"].values()]
        cells += [num(row["cost"], 0)]
        cells += [num(row["net"][p]["estimate"], 0) for p in [*payers, "total"]]
        rows.append((row["year"], cells))
    t = case["totals"]
    total = [num(t["events_avoided"]["estimate"], 1)] + [num(v["estimate"], 0) for v in t["savings"].values()] + \
        [num(t["cost"], 0)] + [num(t["net"][p]["estimate"], 0) for p in [*payers, "total"]]
    pv = [""] * (1 + len(t["savings"]) + 1) + [num(t["present_value"][p]["estimate"], 0) for p in [*payers, "total"]]
    return {"head": head, "rows": rows, "total": total, "present_value": pv}
