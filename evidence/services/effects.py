"""From a record's effect data to an effect size, in any measure it supports.

The record keeps the data as reported; the effect size is always computed, so
a correction to the statistics reaches every study at the next build.
"""

from __future__ import annotations

import math

from ..stats import conversions
from ..stats.escalc import EffectSize, EffectSizeError, escalc

#: Measures each data form can give (a reported effect gives only its own).
MEASURES_FROM = {"counts": ("RR", "OR", "RD"), "means": ("MD", "SMD", "ROM")}
_COUNT_KEYS = ("ai", "bi", "ci", "di", "n1i", "n2i")
_MEAN_KEYS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
#: Logit → SMD (Hasselblad & Hedges 1995; Borenstein et al. 2009, eq. 7.1): d = ln(OR) · √3/π.
LOGIT_TO_SMD = math.sqrt(3) / math.pi


def measures_for(form: str, measure: str, data: dict) -> tuple[str, ...]:
    """The measures an effect can be pooled in: its own first."""
    if form not in MEASURES_FROM:
        return (measure,) if form == "effect" else ()
    options = [m for m in MEASURES_FROM[form] if m != "ROM" or (data["m1i"] > 0 and data["m2i"] > 0)]
    return (measure, *[m for m in options if m != measure])


def compute(form: str, measure: str, data: dict) -> EffectSize | None:
    """The effect size and sampling variance, or None for shown-only forms.

    Raises ``EffectSizeError`` with a message that names the offending field.
    """
    if form == "counts":
        return escalc(measure, **{k: data[k] for k in _COUNT_KEYS if data.get(k) is not None})
    if form == "means":
        return escalc(measure, **{k: data[k] for k in _MEAN_KEYS})
    if form != "effect":
        return None
    return _reported_effect(measure, data)


def _reported_effect(measure: str, d: dict) -> EffectSize:
    if d.get("yi") is not None and d.get("vi") is not None:
        return escalc(measure, yi=d["yi"], vi=d["vi"])
    if d.get("yi") is not None and d.get("sei") is not None:
        return escalc(measure, yi=d["yi"], sei=d["sei"])
    if d.get("yi") is not None and d.get("pval") is not None:
        se = conversions.se_from_p(d["yi"], d["pval"])
        return EffectSize(measure, float(d["yi"]), se * se, ("SE from the two-sided p-value and the estimate",))
    if d.get("estimate") is not None:
        level = d.get("ci_level") or 0.95
        if measure in ("RR", "OR", "ROM"):
            return conversions.reported_ratio(d["estimate"], d["ci_low"], d["ci_high"], measure, level=level)
        se = conversions.se_from_ci(d["ci_low"], d["ci_high"], level=level)
        return EffectSize(measure, float(d["estimate"]), se * se,
                          (f"SE from the {level:.0%} confidence interval",))
    if d.get("t") is not None:
        return conversions.smd_from_t(d["t"], d["n1i"], d["n2i"])
    if d.get("f") is not None:
        return conversions.smd_from_f(d["f"], d["n1i"], d["n2i"], d["direction"])
    raise EffectSizeError("no usable numbers for a reported effect")


def participants(form: str, data: dict) -> int | None:
    """Participants behind one estimate, where the data say."""
    if form == "counts":
        if data.get("n1i") is not None and data.get("n2i") is not None:
            return data["n1i"] + data["n2i"]
        return data["ai"] + data["bi"] + data["ci"] + data["di"]
    if form == "means" or (form == "effect" and data.get("n1i") is not None):
        return data["n1i"] + data["n2i"]
    if form == "single_arm":
        return data.get("n")
    return data.get("n_total")


def control_arm(form: str, data: dict) -> tuple[int, int] | None:
    """(events, total) in the comparison arm, for the control-group risk."""
    if form != "counts":
        return None
    n2 = data["n2i"] if data.get("n2i") is not None else data["ci"] + data["di"]
    return data["ci"], n2


def direction(yi: float, half_width: float, desirable: str | None) -> str:
    """benefit, harm or unclear: whether the interval excludes no effect, and on which side."""
    if desirable is None:
        return "unclear"
    lower, upper = yi - half_width, yi + half_width
    if upper < 0:
        return "benefit" if desirable == "lower" else "harm"
    if lower > 0:
        return "benefit" if desirable == "higher" else "harm"
    return "unclear"


def standardised(effect: dict, desirable: str | None) -> float | None:
    """The effect on a standardised-mean-difference scale, positive when it goes the desirable way: SMD as
    is; log OR and log RR times √3/π, the logistic approximation of Chinn 2000; MD and ROM as the SMD of
    their means when the data give SDs; others (and non-finite values) None."""
    measure, yi = effect["measure"], effect["yi"]
    if yi is None:
        return None
    if measure in ("OR", "RR"):
        value = yi * LOGIT_TO_SMD
    elif measure == "SMD":
        value = yi
    elif measure in ("MD", "ROM") and effect["form"] == "means":
        try:
            value = compute("means", "SMD", effect["data"]).yi
        except (EffectSizeError, KeyError):
            return None
    else:
        return None
    if desirable == "lower":
        value = -value
    return value if math.isfinite(value) else None
