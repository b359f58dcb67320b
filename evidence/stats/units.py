"""Calculator units: natural scale, control-group risk, risk changes, WWC index.

Every result records the conversion that produced it: floats are returned as
:class:`Converted` (a float with a ``conversion`` attribute) and intervals as
:class:`Interval` (a 3-tuple with a ``conversion`` attribute), so callers can
use them as plain numbers and still show how they were obtained.
Sources: Borenstein et al. (2009) ch. 5 and 7; Cochrane Handbook v6.4,
section 15.4 (absolute effects from relative effects at an assumed control
risk); metafor escalc measure PLO; What Works Clearinghouse Procedures and
Standards Handbook v5.0 (2022), improvement index.
"""

from __future__ import annotations

import math

from scipy import special

from .escalc import EffectSizeError, checked_count, checked_group_size, checked_number
from .rma import rma

RATIO_MEASURES = ("RR", "OR", "ROM")
CONTROL_RISK_METHOD = ("random-effects (REML) mean of the control-arm log odds, "
                       "back-transformed (1/2 added to arms with 0 or all events)")


class Converted(float):
    """A float that remembers the conversion that produced it."""

    conversion: str

    def __new__(cls, value: float, conversion: str):
        obj = super().__new__(cls, value)
        obj.conversion = conversion
        return obj


class Interval(tuple):
    """(value, ci_low, ci_high) with the conversion that produced it."""

    conversion: str

    def __new__(cls, value: float, low: float, high: float, conversion: str):
        obj = super().__new__(cls, (float(value), float(low), float(high)))
        obj.conversion = conversion
        return obj

    value = property(lambda self: self[0])
    ci_low = property(lambda self: self[1])
    ci_high = property(lambda self: self[2])


def is_ratio(measure: str) -> bool:
    """RR, OR and ROM are analysed as logs of ratios (Borenstein et al. 2009, §5.2)."""
    return measure in RATIO_MEASURES


def scale_of(measure: str) -> str:
    """"log" for RR/OR/ROM (yi = log ratio, as metafor escalc), "identity" otherwise."""
    return "log" if is_ratio(measure) else "identity"


def natural_scale(measure: str, value: float) -> float:
    """exp(value) for ratio measures, the value itself otherwise
    (metafor ``transf=exp``; Borenstein et al. 2009, §5.2)."""
    v = float(value)
    return math.exp(v) if is_ratio(measure) else v


def pooled_control_risk(events, totals) -> Interval:
    """Typical control-group risk with its 95% CI, from the control arms.

    Method: each arm's log odds, logit((x)/(n)) with variance 1/x + 1/(n−x)
    (1/2 added to x and n−x when either is 0, as metafor measure "PLO"),
    pooled by REML random effects (falls back to DL as :func:`rma.rma` does),
    and the mean and CI back-transformed with the inverse logit.
    Why not the simple pooled proportion Σx/Σn: control risks differ between
    populations and that sum lets the largest study dominate and ignores the
    spread; the logit keeps the interval inside (0, 1). The result is the
    typical (median) control risk, not the mean risk.
    """
    return control_risk(rma(*control_arm_logits(events, totals), method="REML", test="z"))


def control_arm_logits(events, totals) -> tuple[list[float], list[float]]:
    """Each control arm's log odds and its variance (the data :func:`pooled_control_risk` pools)."""
    ev = [checked_count("events", x) for x in events]
    tot = [checked_group_size("totals", n) for n in totals]
    if not ev or len(ev) != len(tot):
        raise EffectSizeError("events and totals must be non-empty and of equal length")
    yi, vi = [], []
    for x, n in zip(ev, tot):
        if x > n:
            raise EffectSizeError(f"events ({x:g}) larger than the group size ({n:g})")
        non = n - x
        if x == 0 or non == 0:
            x, non = x + 0.5, non + 0.5
        yi.append(math.log(x / non))
        vi.append(1 / x + 1 / non)
    return yi, vi


def control_risk(fit) -> Interval:
    """The typical control risk and its CI from the REML fit of :func:`control_arm_logits` (a build fits
    many at once: :func:`evidence.stats.rowwise.rma_many`)."""
    expit = special.expit
    note = CONTROL_RISK_METHOD if fit.method_used == "REML" else CONTROL_RISK_METHOD + "; DL used"
    return Interval(expit(fit.estimate), expit(fit.ci_lb), expit(fit.ci_ub), note)


def _risk(name: str, value) -> float:
    p = checked_number(name, value)
    if not 0 <= p <= 1:
        raise EffectSizeError(f"{name} must be a proportion in [0, 1], got {p:g}")
    return p


def _treated(p0: float, measure: str, estimate: float) -> tuple[float, bool]:
    if measure == "RR":
        p1 = p0 * math.exp(min(estimate, 700.0))
    elif measure == "OR":
        # p1 = p0·OR / (1 − p0 + p0·OR): exact for OR = 1, p0 = 0 and p0 = 1
        if p0 in (0.0, 1.0):
            return p0, False
        odds_ratio = math.exp(max(min(estimate, 700.0), -700.0))
        p1 = p0 * odds_ratio / (1 - p0 + p0 * odds_ratio)
    elif measure == "RD":
        p1 = p0 + estimate
    else:
        raise EffectSizeError(f"treated risk needs measure RR, OR or RD, got {measure!r}")
    clipped = min(1.0, max(0.0, p1))
    return clipped, clipped != p1


_FORMULA = {
    "RR": "treated risk = control risk x RR",
    "OR": "treated odds = control odds x OR",
    "RD": "treated risk = control risk + RD",
}


def treated_risk(control_risk, measure: str, estimate) -> Converted:
    """Risk under the intervention at a given control risk.

    ``estimate`` is on the analysis scale (log RR, log OR, or RD), as
    ``Fit.estimate``. RR: p1 = p0·exp(est); OR: logit p1 = logit p0 + est;
    RD: p1 = p0 + est (Cochrane Handbook 15.4.4). Results outside [0, 1]
    (possible for RR and RD) are capped and the cap is recorded.
    """
    p0 = _risk("control_risk", control_risk)
    p1, capped = _treated(p0, measure, checked_number("estimate", estimate))
    note = _FORMULA.get(measure, "") + ("; capped to [0, 1]" if capped else "")
    return Converted(p1, note)


def risk_difference_pp(control_risk, measure: str, estimate, ci_lb, ci_ub) -> Interval:
    """Percentage-point change 100·(p1 − p0) with its CI.

    The CI transforms the bounds of the pooled estimate at the same fixed
    control risk (the uncertainty of p0 is not propagated; Cochrane Handbook
    15.4.4 "assumed control risk"). The transformations are monotone, so the
    bounds stay ordered.
    """
    p0 = _risk("control_risk", control_risk)
    values, capped = [], False
    for name, x in (("estimate", estimate), ("ci_lb", ci_lb), ("ci_ub", ci_ub)):
        p1, c = _treated(p0, measure, checked_number(name, x))
        values.append(100 * (p1 - p0))
        capped = capped or c
    note = _FORMULA[measure] + ", at a fixed control risk, in percentage points"
    return Interval(*values, note + ("; capped to [0, 1]" if capped else ""))


WWC_NOTE = "WWC improvement index = 100 x (Phi(g) - 0.5)"


def wwc_improvement_index(g) -> Converted:
    """100·(Φ(g) − 0.5): the expected percentile-rank change of an average
    comparison-group member (WWC Procedures and Standards Handbook v5.0)."""
    gv = checked_number("g", g)
    return Converted(100 * (float(special.ndtr(gv)) - 0.5), WWC_NOTE)


HASSELBLAD_HEDGES = math.pi / math.sqrt(3)  # SD of the standard logistic distribution
SMD_TO_LOG_OR_NOTE = "Hasselblad-Hedges: ln OR = d x pi/sqrt(3)"
LOG_OR_TO_SMD_NOTE = "Hasselblad-Hedges: d = ln OR x sqrt(3)/pi"


def smd_to_log_or(estimate, ci_lb, ci_ub) -> Interval:
    """A pooled SMD and its CI as a log odds ratio: ln OR = d·π/√3, the logit
    method of Hasselblad & Hedges (1995); variances scale by π²/3
    (Borenstein et al. 2009, §7.3). The map is linear, so CI bounds map directly."""
    values = [checked_number(n, v) * HASSELBLAD_HEDGES
              for n, v in (("estimate", estimate), ("ci_lb", ci_lb), ("ci_ub", ci_ub))]
    return Interval(*values, SMD_TO_LOG_OR_NOTE)


def log_or_to_smd(estimate, ci_lb, ci_ub) -> Interval:
    """A pooled log odds ratio and its CI as an SMD: d = ln OR·√3/π
    (Hasselblad & Hedges 1995; Borenstein et al. 2009, §7.2)."""
    values = [checked_number(n, v) / HASSELBLAD_HEDGES
              for n, v in (("estimate", estimate), ("ci_lb", ci_lb), ("ci_ub", ci_ub))]
    return Interval(*values, LOG_OR_TO_SMD_NOTE)
