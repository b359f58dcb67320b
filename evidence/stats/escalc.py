"""Per-study effect sizes and sampling variances, as metafor's ``escalc()``.

Every formula reproduces metafor 3.8-1 (``R/escalc.r``) with its defaults:
``add=1/2, to="only0", drop00=FALSE, vtype="LS", correct=TRUE``.
References: Viechtbauer (2010), JSS 36(3); metafor ``escalc`` help page;
Borenstein, Hedges, Higgins & Rothstein (2009), *Introduction to
Meta-Analysis*, chapters 4-5; Hedges (1981) for the exact small-sample
correction of the standardized mean difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

MEASURES = ("RR", "OR", "RD", "MD", "SMD", "ROM", "GEN")

ZERO_CELL_NOTE = "added 1/2 to each cell (zero cell)"
SE_NOTE = "variance from standard error (vi = sei^2)"


class EffectSizeError(ValueError):
    """Invalid input for an effect-size computation (names the argument)."""


@dataclass(frozen=True)
class EffectSize:
    """One study's effect size ``yi`` (log scale for RR/OR/ROM) and variance."""

    measure: str
    yi: float
    vi: float
    conversions: tuple[str, ...] = ()


def checked_number(name: str, value) -> float:
    if isinstance(value, bool):
        raise EffectSizeError(f"{name} must be a number, got a boolean")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise EffectSizeError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise EffectSizeError(f"{name} must be finite, got {x}")
    return x


def checked_count(name: str, value) -> float:
    x = checked_number(name, value)
    if x < 0:
        raise EffectSizeError(f"{name} must not be negative, got {x:g}")
    return x


def checked_group_size(name: str, value) -> float:
    x = checked_number(name, value)
    if x <= 0:
        raise EffectSizeError(f"{name} (group size) must be > 0, got {x:g}")
    return x


def _checked(measure: str, yi: float, vi: float, notes: list[str]) -> EffectSize:
    # The formulas are finite for valid input; this guards the extremes of
    # floating point (e.g. counts like 1e-320) with a clear message.
    if not (math.isfinite(yi) and math.isfinite(vi) and vi > 0):
        raise EffectSizeError(
            f"{measure}: the inputs do not give a finite effect size with a positive "
            f"variance (yi={yi!r}, vi={vi!r})"
        )
    return EffectSize(measure, float(yi), float(vi), tuple(notes))


def _two_by_two(measure, ai, bi, ci, di, n1i, n2i) -> EffectSize:
    """RR, OR and RD from a 2x2 table (metafor escalc, vtype="LS")."""
    if ai is None or ci is None:
        raise EffectSizeError(f"{measure} needs ai and ci (events) plus bi/di or n1i/n2i")
    a, c = checked_count("ai", ai), checked_count("ci", ci)
    b = _arm_rest("bi", "n1i", "ai", a, bi, n1i)
    d = _arm_rest("di", "n2i", "ci", c, di, n2i)
    if a + b <= 0:
        raise EffectSizeError("n1i (treatment group size) must be > 0")
    if c + d <= 0:
        raise EffectSizeError("n2i (control group size) must be > 0")
    notes: list[str] = []
    # metafor to="only0": 1/2 is added to all four cells of any table with a
    # zero cell, double-zero tables included (drop00=FALSE), for RR, OR and RD.
    if 0 in (a, b, c, d):
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        notes.append(ZERO_CELL_NOTE)
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    if measure == "RR":
        yi = math.log(p1) - math.log(p2)
        vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    elif measure == "OR":
        yi = math.log(p1 / (1 - p1)) - math.log(p2 / (1 - p2))
        vi = 1 / a + 1 / b + 1 / c + 1 / d
    else:  # RD
        yi = p1 - p2
        vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    return _checked(measure, yi, vi, notes)


def _arm_rest(rest_name, n_name, event_name, events, rest, n) -> float:
    """Non-events of one arm, from the cell itself or from the group size."""
    if rest is None and n is None:
        raise EffectSizeError(f"give {rest_name} or {n_name}")
    if n is not None:
        size = checked_group_size(n_name, n)
        if events > size:
            raise EffectSizeError(
                f"{event_name} ({events:g} events) is larger than {n_name} ({size:g})"
            )
        if rest is not None and checked_count(rest_name, rest) != size - events:
            raise EffectSizeError(f"{n_name} must equal {event_name} + {rest_name}")
        return size - events
    return checked_count(rest_name, rest)


def hedges_correction(mi: float) -> float:
    """Exact small-sample correction c(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)).

    Hedges (1981); metafor's ``.cmicalc`` (computed on the log scale).
    """
    return math.exp(gammaln(mi / 2) - math.log(math.sqrt(mi / 2)) - gammaln((mi - 1) / 2))


def smd_variance(g: float, n1: float, n2: float) -> float:
    """metafor vtype="LS": 1/n1 + 1/n2 + g²/(2(n1+n2)) (Hedges & Olkin 1985, eq. 15)."""
    return 1 / n1 + 1 / n2 + g * g / (2 * (n1 + n2))


def _means(measure, m1i, sd1i, n1i, m2i, sd2i, n2i) -> EffectSize:
    """MD, SMD and ROM from two groups' means, SDs and sizes."""
    names = dict(m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i)
    missing = [k for k, v in names.items() if v is None]
    if missing:
        raise EffectSizeError(f"{measure} needs {', '.join(missing)}")
    m1, m2 = checked_number("m1i", m1i), checked_number("m2i", m2i)
    s1, s2 = checked_number("sd1i", sd1i), checked_number("sd2i", sd2i)
    for name, s in (("sd1i", s1), ("sd2i", s2)):
        if s <= 0:
            raise EffectSizeError(f"{name} (standard deviation) must be > 0, got {s:g}")
    n1, n2 = checked_group_size("n1i", n1i), checked_group_size("n2i", n2i)
    if measure == "MD":
        return _checked(measure, m1 - m2, s1 * s1 / n1 + s2 * s2 / n2, [])
    if measure == "ROM":
        for name, m in (("m1i", m1), ("m2i", m2)):
            if m <= 0:
                raise EffectSizeError(f"ROM needs positive means: {name} = {m:g}")
        yi = math.log(m1 / m2)
        vi = s1 * s1 / (n1 * m1 * m1) + s2 * s2 / (n2 * m2 * m2)
        return _checked(measure, yi, vi, [])
    mi = n1 + n2 - 2
    if mi <= 1:
        # metafor returns NA here: the correction Γ((m-1)/2) is undefined.
        raise EffectSizeError(f"SMD needs n1i + n2i >= 4, got {n1 + n2:g}")
    sdp = math.sqrt(((n1 - 1) * s1 * s1 + (n2 - 1) * s2 * s2) / mi)
    g = hedges_correction(mi) * (m1 - m2) / sdp
    return _checked(measure, g, smd_variance(g, n1, n2), [])


def _precomputed(measure, yi, vi, sei) -> EffectSize:
    y = checked_number("yi", yi)
    if vi is not None and sei is not None:
        raise EffectSizeError("give vi or sei, not both")
    if vi is None and sei is None:
        raise EffectSizeError("a precomputed yi needs vi or sei")
    if vi is not None:
        v = checked_number("vi", vi)
        if v <= 0:
            raise EffectSizeError(f"vi (sampling variance) must be > 0, got {v:g}")
        return _checked(measure, y, v, [])
    s = checked_number("sei", sei)
    if s <= 0:
        raise EffectSizeError(f"sei (standard error) must be > 0, got {s:g}")
    return _checked(measure, y, s * s, [SE_NOTE])


def escalc(measure, *, ai=None, bi=None, ci=None, di=None, n1i=None, n2i=None,
           m1i=None, sd1i=None, m2i=None, sd2i=None, yi=None, vi=None,
           sei=None) -> EffectSize:
    """Effect size and sampling variance of one study (metafor ``escalc``).

    - RR: log(p1/p2), vi = 1/a − 1/n1 + 1/c − 1/n2;
      OR: log odds ratio, vi = 1/a + 1/b + 1/c + 1/d;
      RD: p1 − p2, vi = p1(1−p1)/n1 + p2(1−p2)/n2 (Borenstein et al. 2009,
      ch. 5; metafor escalc help). A table with any zero cell gets 1/2 added
      to every cell first (metafor ``add=1/2, to="only0"``, also for RD).
    - MD: m1 − m2, vi = sd1²/n1 + sd2²/n2.
    - SMD: Hedges' g = c(m)·(m1 − m2)/s_pooled, m = n1+n2−2, exact gamma
      correction c(m); vi = 1/n1 + 1/n2 + g²/(2(n1+n2)) (metafor vtype="LS").
    - ROM: log(m1/m2), vi = sd1²/(n1 m1²) + sd2²/(n2 m2²) (Hedges, Gurevitch
      & Curtis 1999).
    - a precomputed ``yi`` with ``vi`` or ``sei`` passes through for any measure.
    """
    if measure not in MEASURES:
        raise EffectSizeError(f"measure must be one of {MEASURES}, got {measure!r}")
    if yi is not None:
        return _precomputed(measure, yi, vi, sei)
    if measure in ("RR", "OR", "RD"):
        return _two_by_two(measure, ai, bi, ci, di, n1i, n2i)
    if measure in ("MD", "SMD", "ROM"):
        return _means(measure, m1i, sd1i, n1i, m2i, sd2i, n2i)
    raise EffectSizeError("measure GEN needs a precomputed yi with vi or sei")


def escalc_many(measure, **columns) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`escalc` over equal-length columns (same formulas:
    metafor ``escalc`` with its defaults, Viechtbauer 2010).

    A column may be omitted or None; a None inside a column means "not given"
    for that study.
    """
    given = {k: list(v) for k, v in columns.items() if v is not None}
    lengths = {len(v) for v in given.values()}
    if len(lengths) > 1:
        raise EffectSizeError(f"columns must have equal lengths, got {sorted(lengths)}")
    k = lengths.pop() if lengths else 0
    yi, vi = np.empty(k), np.empty(k)
    for i in range(k):
        try:
            es = escalc(measure, **{name: col[i] for name, col in given.items()})
        except EffectSizeError as exc:
            raise EffectSizeError(f"row {i}: {exc}") from None
        yi[i], vi[i] = es.yi, es.vi
    return yi, vi
