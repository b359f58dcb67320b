"""Effect sizes from what papers report, and conversions between measures.

Sources: Borenstein, Hedges, Higgins & Rothstein (2009), *Introduction to
Meta-Analysis*, ch. 7 (converting among effect sizes); Hasselblad & Hedges
(1995), Psychol. Bull. 117(1) (logit method); Cox & Snell (1989) / Sánchez-
Meca, Marín-Martínez & Chacón-Moscoso (2003) (normal method, factor 1.65);
Altman & Bland (2011), BMJ 343:d2090 (SE from a CI or a P value); metafor
3.8-1 ``escalc`` measures OR2DL, OR2DN, D2ORL, D2ORN and SMD from t.
"""

from __future__ import annotations

import math

from scipy import special

from .escalc import EffectSize, EffectSizeError, checked_group_size, checked_number, hedges_correction, smd_variance

LOGIT_FACTOR = math.sqrt(3) / math.pi  # SD of the standard logistic is pi/sqrt(3)
NORMAL_FACTOR = 1.65  # metafor's (Cox & Snell) probit-style factor


def _z(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise EffectSizeError(f"level must be strictly between 0 and 1, got {level!r}")
    return float(special.ndtri(0.5 + level / 2))


def se_from_ci(lower, upper, level=0.95, log_scale=False) -> float:
    """SE = (upper − lower) / (2·z_{(1+level)/2}) (Altman & Bland 2011).

    With ``log_scale`` the bounds are ratios and the SE is of their logs.
    Note string: :func:`se_from_ci_note`.
    """
    lo, hi = checked_number("lower", lower), checked_number("upper", upper)
    if log_scale:
        if lo <= 0 or hi <= 0:
            raise EffectSizeError("ratio confidence bounds must be > 0 for log_scale=True")
        lo, hi = math.log(lo), math.log(hi)
    if not hi > lo:
        raise EffectSizeError(f"upper ({upper}) must be larger than lower ({lower})")
    return (hi - lo) / (2 * _z(level))


def se_from_ci_note(level=0.95) -> str:
    return f"SE from {level:.0%} CI"


SE_FROM_P_NOTE = "SE from the p-value and the estimate"


def se_from_p(estimate, p, two_sided=True) -> float:
    """SE = |estimate| / z, z = Φ⁻¹(1 − p/2) (two-sided) or Φ⁻¹(1 − p).

    The estimate carries the direction; the p-value only the distance from 0
    (Altman & Bland 2011). A one-sided p must be < 0.5 (same direction).
    Note string: ``SE_FROM_P_NOTE``.
    """
    est = checked_number("estimate", estimate)
    pv = checked_number("p", p)
    if not 0 < pv < 1:
        raise EffectSizeError(f"p must be strictly between 0 and 1, got {pv:g}")
    if est == 0:
        raise EffectSizeError("estimate is 0: a p-value cannot give its SE")
    tail = pv / 2 if two_sided else pv
    if tail >= 0.5:
        raise EffectSizeError("a one-sided p must be < 0.5 (in the estimate's direction)")
    z = float(-special.ndtri(tail))
    return abs(est) / z


def smd_from_t(t, n1i, n2i) -> EffectSize:
    """Hedges' g from an independent-samples t: d = t·sqrt(1/n1 + 1/n2).

    Then the exact correction and variance of metafor's SMD (escalc with
    ``ti``): g = c(n1+n2−2)·d, vi = 1/n1 + 1/n2 + g²/(2(n1+n2)).
    """
    tv = checked_number("t", t)
    n1, n2 = checked_group_size("n1i", n1i), checked_group_size("n2i", n2i)
    if n1 + n2 < 4:
        raise EffectSizeError(f"SMD needs n1i + n2i >= 4, got {n1 + n2:g}")
    g = hedges_correction(n1 + n2 - 2) * tv * math.sqrt(1 / n1 + 1 / n2)
    return EffectSize("SMD", g, smd_variance(g, n1, n2), ("Hedges' g from t statistic",))


def smd_from_f(f, n1i, n2i, direction) -> EffectSize:
    """F(1, df) of a two-group comparison: t = direction·sqrt(F), then :func:`smd_from_t`.

    F has no sign, so ``direction`` (+1: group 1 higher, −1: lower) is required.
    """
    fv = checked_number("f", f)
    if fv < 0:
        raise EffectSizeError(f"f must be >= 0, got {fv:g}")
    if direction not in (1, -1):
        raise EffectSizeError(f"direction must be +1 or -1, got {direction!r}")
    es = smd_from_t(direction * math.sqrt(fv), n1i, n2i)
    return EffectSize("SMD", es.yi, es.vi, ("Hedges' g from F(1, df) statistic with direction",))


def reported_ratio(estimate, lower, upper, measure, level=0.95) -> EffectSize:
    """A reported RR/OR/ROM with its CI (natural scale) → log yi and vi.

    yi = log(estimate); SE = (log upper − log lower)/(2z) (Borenstein et al.
    2009, section 5.3; Altman & Bland 2011).
    """
    if measure not in ("RR", "OR", "ROM"):
        raise EffectSizeError(f"measure must be RR, OR or ROM for a ratio, got {measure!r}")
    est = checked_number("estimate", estimate)
    lo, hi = checked_number("lower", lower), checked_number("upper", upper)
    if min(est, lo, hi) <= 0:
        raise EffectSizeError("a ratio and its confidence bounds must be > 0")
    if not lo <= est <= hi:
        raise EffectSizeError(f"estimate {est:g} is not within its interval [{lo:g}, {hi:g}]")
    se = se_from_ci(lo, hi, level=level, log_scale=True)
    return EffectSize(measure, math.log(est), se * se,
                      (f"log of reported {measure}", se_from_ci_note(level) + " on the log scale"))


def _log_or(log_or, vi):
    if isinstance(log_or, EffectSize):
        if log_or.measure != "OR":
            raise EffectSizeError(f"expected an OR effect size, got {log_or.measure}")
        return log_or.yi, log_or.vi, log_or.conversions
    y = checked_number("log_or", log_or)
    v = checked_number("vi", vi)
    if v <= 0:
        raise EffectSizeError(f"vi must be > 0, got {v:g}")
    return y, v, ()


def or_to_smd_logit(log_or, vi=None) -> EffectSize:
    """d = log(OR)·√3/π, vi·3/π² (Hasselblad & Hedges 1995; metafor OR2DL)."""
    y, v, prior = _log_or(log_or, vi)
    return EffectSize("SMD", y * LOGIT_FACTOR, v * LOGIT_FACTOR ** 2,
                      (*prior, "log OR to SMD (logit method, Hasselblad & Hedges)"))


def or_to_smd_normal(log_or, vi=None) -> EffectSize:
    """d = log(OR)/1.65, vi/1.65² (Cox & Snell; metafor OR2DN)."""
    y, v, prior = _log_or(log_or, vi)
    return EffectSize("SMD", y / NORMAL_FACTOR, v / NORMAL_FACTOR ** 2,
                      (*prior, "log OR to SMD (normal method, factor 1.65)"))


def _d_and_sizes(d, n1i, n2i):
    return checked_number("d", d), checked_group_size("n1i", n1i), checked_group_size("n2i", n2i)


def smd_to_or_logit(d, n1i, n2i) -> EffectSize:
    """log OR = π/√3·d, vi = π²/3·(1/n1 + 1/n2 + d²/(2(n1+n2))) (metafor D2ORL).

    ``d`` is Cohen's d from the means (pooled SD, no small-sample correction),
    as metafor uses; see :func:`cohens_d`.
    """
    dv, n1, n2 = _d_and_sizes(d, n1i, n2i)
    f = 1 / LOGIT_FACTOR
    return EffectSize("OR", f * dv, f * f * smd_variance(dv, n1, n2),
                      ("SMD to log OR (logit method, Hasselblad & Hedges)",))


def smd_to_or_normal(d, n1i, n2i) -> EffectSize:
    """log OR = 1.65·d, vi = 1.65²·(1/n1 + 1/n2 + d²/(2(n1+n2))) (metafor D2ORN)."""
    dv, n1, n2 = _d_and_sizes(d, n1i, n2i)
    f = NORMAL_FACTOR
    return EffectSize("OR", f * dv, f * f * smd_variance(dv, n1, n2),
                      ("SMD to log OR (normal method, factor 1.65)",))


def cohens_d(m1i, sd1i, n1i, m2i, sd2i, n2i) -> float:
    """(m1 − m2)/s_pooled, s_pooled² = ((n1−1)sd1² + (n2−1)sd2²)/(n1+n2−2).

    Cohen's d with the pooled SD (Borenstein et al. 2009, eq. 4.18; metafor
    escalc's ``di`` before the small-sample correction).
    """
    m1, m2 = checked_number("m1i", m1i), checked_number("m2i", m2i)
    s1, s2 = checked_number("sd1i", sd1i), checked_number("sd2i", sd2i)
    if s1 <= 0 or s2 <= 0:
        raise EffectSizeError("sd1i and sd2i must be > 0")
    n1, n2 = checked_group_size("n1i", n1i), checked_group_size("n2i", n2i)
    if n1 + n2 <= 2:
        raise EffectSizeError("n1i + n2i must be > 2 for a pooled SD")
    return (m1 - m2) / math.sqrt(((n1 - 1) * s1 * s1 + (n2 - 1) * s2 * s2) / (n1 + n2 - 2))
