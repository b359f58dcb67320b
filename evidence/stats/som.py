"""The SØM bridge: a pooled binary effect as SØM's *succesrate* net of the counterfactual.

Socialstyrelsen's Socialøkonomiske Investeringsmodel (SØM) asks for the share
of participants for whom the intervention makes the difference: the change in
the share with the good result, compared with what would have happened anyway
(the comparison group), in percentage points at the chosen baseline risk.
That is the risk difference at a fixed control risk (Cochrane Handbook v6.4,
§15.4.4 "assumed control risk"), signed so that a positive value is good:
for an outcome where lower is better (recidivism, placement) it is
``−(p1 − p0)``; where higher is better (employment) it is ``p1 − p0``.
"""

from __future__ import annotations

NOTE = "SØM succesrate = change in risk at the baseline, in percentage points, signed so that positive is good"


def success_rate_pp(rd_pp: float | None, rd_low: float | None, rd_high: float | None,
                    desirable: str | None) -> tuple[float | None, float | None, float | None]:
    """(succesrate, ci_low, ci_high) in percentage points from ``risk_difference_pp`` and its CI.

    The sign flips (and the bounds swap) where lower is better; without a
    known direction there is no success rate.
    """
    if rd_pp is None or desirable not in ("lower", "higher"):
        return None, None, None
    if desirable == "higher":
        return rd_pp, rd_low, rd_high
    low = -rd_high if rd_high is not None else None
    high = -rd_low if rd_low is not None else None
    return -rd_pp, low, high
