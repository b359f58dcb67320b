"""A municipal business case from a pooled binary effect: events avoided, kroner, uncertainty.

The model (docs/business-case.md):

- ``N`` participants start in year 1. In year ``t`` (1…horizon) the effect
  counts with weight ``m_t = (1 − fade)^(t−1)`` while ``t ≤ duration``, else 0.
- The *success rate* ``s`` is the change in the share with the good result at
  the baseline risk ``p0`` (SØM's succesrate, :mod:`evidence.stats.som`):
  ``p1`` from the effect on its analysis scale (RR: ``p0·exp θ``; OR: logit
  ``p1`` = logit ``p0`` + θ; RD: ``p0 + θ``; Cochrane Handbook v6.4 §15.4.4,
  capped to [0, 1]), and ``s = p0 − p1`` where lower is better, ``p1 − p0``
  where higher is better.
- Events avoided in year ``t``: ``N·s·m_t``; gross saving of payer ``k``:
  ``N·s·m_t·P_k`` with ``P_k`` the price per avoided event borne by ``k``;
  the intervention costs ``N·c`` in the year it falls, borne by one payer.
- Present value: each year's flow times ``(1 + r)^−(t−1)`` (year 1 is the
  base year, undiscounted), ``r`` = 3.5 % by default: the Ministry of
  Finance's social discount rate for years 0–35 (Finansministeriet,
  Dokumentationsnotat om den samfundsøkonomiske diskonteringsrente, 2021).

Uncertainty is Monte Carlo over the pooled estimate's sampling distribution,
``θ ~ est + se·Z`` (``Z`` standard normal, or Student t with ``df`` where the
estimate has a t-based interval, as metafor's Knapp-Hartung), or, for a new
setting like those studied, the predictive distribution with ``tau²`` (and
``omega²`` where the model has one) added to ``se²`` — metafor's prediction
interval (Riley, Higgins & Deeks 2011, BMJ 342:d549). The baseline risk and
the prices are held fixed. Every output is linear in ``s``, so the point
estimates are the closed form at ``θ = est`` and the Monte Carlo means
estimate the same functions at ``E[s]``. Deterministic for a seed (numpy's
PCG64 ``Generator``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

MEASURES = ("RR", "OR", "RD")
PAYERS = ("kommune", "region", "stat")
DEFAULT_DISCOUNT_RATE = 0.035
MAX_HORIZON = 10
MAX_RATE = 0.20
DEFAULT_DRAWS = 10_000
MAX_DRAWS = 50_000  # a request holds about 8 arrays of draws × years: 50,000 × 10 × 8 bytes each
DEFAULT_SEED = 20231
LEVEL = 0.95


class BusinessCaseError(ValueError):
    """An input outside what the model accepts; ``field`` names it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Effect:
    """A pooled effect on its analysis scale (log RR, log OR or RD) with what its distributions need."""

    measure: str
    estimate: float
    se: float
    tau2: float | None = None
    omega2: float | None = None
    df: int | None = None

    def __post_init__(self):
        if self.measure not in MEASURES:
            raise BusinessCaseError("measure", f"a business case needs a binary effect in {', '.join(MEASURES)}, "
                                    f"not {self.measure!r}")
        for name in ("estimate", "se"):
            if not math.isfinite(getattr(self, name)):
                raise BusinessCaseError(name, "must be a finite number")
        if self.se < 0:
            raise BusinessCaseError("se", "must not be negative")
        if self.df is not None and self.df < 1:
            raise BusinessCaseError("df", "must be at least 1")


@dataclass(frozen=True)
class Assumptions:
    participants: float
    baseline_risk: float
    desirable: str  # "lower" or "higher": which direction of the outcome is good
    prices: dict = field(default_factory=dict)  # payer -> kroner per avoided event
    horizon: int = 5
    duration: int = 1
    fade: float = 0.0
    cost: float = 0.0  # kroner per participant
    cost_year: int = 1
    cost_payer: str = "kommune"
    discount_rate: float = DEFAULT_DISCOUNT_RATE

    def __post_init__(self):
        _check(self)

    @property
    def payers(self) -> list[str]:
        named = set(self.prices) | ({self.cost_payer} if self.cost else set())
        return [p for p in PAYERS if p in named]


def _check(a: Assumptions) -> None:
    rules = [
        ("participants", math.isfinite(a.participants) and a.participants >= 0, "must be 0 or more"),
        ("baseline_risk", 0 < a.baseline_risk < 1, "must be strictly between 0 and 1"),
        ("desirable", a.desirable in ("lower", "higher"), "must be 'lower' or 'higher'"),
        ("horizon", isinstance(a.horizon, int) and 1 <= a.horizon <= MAX_HORIZON,
         f"must be a whole number of years from 1 to {MAX_HORIZON}"),
        ("duration", isinstance(a.duration, int) and 1 <= a.duration <= MAX_HORIZON,
         f"must be a whole number of years from 1 to {MAX_HORIZON}"),
        ("fade", 0 <= a.fade < 1, "must be a yearly share from 0 up to (not including) 1"),
        ("cost", math.isfinite(a.cost) and a.cost >= 0, "must be 0 or more kroner per participant"),
        ("cost_year", isinstance(a.cost_year, int) and 1 <= a.cost_year <= a.horizon,
         "must be a year within the horizon"),
        ("cost_payer", a.cost_payer in PAYERS, f"must be one of {', '.join(PAYERS)}"),
        ("discount_rate", 0 <= a.discount_rate <= MAX_RATE, f"must be between 0 and {MAX_RATE:.0%}"),
    ]
    for name, ok, message in rules:
        if not ok:
            raise BusinessCaseError(name, message)
    for payer, value in a.prices.items():
        if payer not in PAYERS or not math.isfinite(value) or value < 0:
            raise BusinessCaseError("price", f"price per event for {payer!r} must be 0 or more kroner")


def treated_risk(p0: float, measure: str, theta):
    """Risk with the intervention at control risk ``p0`` (vectorised; Cochrane Handbook §15.4.4), in [0, 1]."""
    theta = np.asarray(theta, dtype=float)
    if measure == "RR":
        p1 = p0 * np.exp(np.minimum(theta, 700.0))
    elif measure == "OR":
        p1 = special.expit(special.logit(p0) + theta)
    else:
        p1 = p0 + theta
    return np.clip(p1, 0.0, 1.0)


def success_rate(effect_measure: str, theta, p0: float, desirable: str):
    """The favourable change in the outcome's share (a fraction; SØM's succesrate / 100)."""
    change = treated_risk(p0, effect_measure, theta) - p0
    return -change if desirable == "lower" else change


def effect_weights(a: Assumptions) -> np.ndarray:
    """``m_t``: the share of the full effect that counts in each year of the horizon."""
    t = np.arange(1, a.horizon + 1)
    return np.where(t <= a.duration, (1.0 - a.fade) ** (t - 1), 0.0)


def discount_factors(a: Assumptions) -> np.ndarray:
    """``(1 + r)^−(t−1)``: year 1 is the base year."""
    return (1.0 + a.discount_rate) ** -np.arange(a.horizon, dtype=float)


def flows(s, a: Assumptions) -> dict:
    """Yearly flows for success rate(s) ``s`` (a scalar or a vector of draws): arrays [..., year]."""
    s = np.asarray(s, dtype=float)[..., None]
    events = a.participants * s * effect_weights(a)
    cost = np.zeros(a.horizon)
    cost[a.cost_year - 1] = a.participants * a.cost
    savings = {p: events * a.prices.get(p, 0.0) for p in a.payers}
    net = {p: savings[p] - (cost if p == a.cost_payer else 0.0) for p in a.payers}
    net["total"] = sum(savings.values(), np.zeros_like(events)) - cost
    return {"events": events, "cost": cost, "savings": savings, "net": net}


def _draws(effect: Effect, interval: str, n: int, seed: int) -> tuple[np.ndarray, str, float]:
    rng = np.random.default_rng(seed)
    variance = effect.se ** 2
    if interval == "pi":
        variance += (effect.tau2 or 0.0) + (effect.omega2 or 0.0)
    scale = math.sqrt(variance)
    if effect.df is not None:
        return effect.estimate + scale * rng.standard_t(effect.df, n), f"t({effect.df:g})", scale
    return effect.estimate + scale * rng.standard_normal(n), "normal", scale


def _summary(point, draws, axis=0) -> dict:
    alpha = (1 - LEVEL) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha], axis=axis)
    return {"estimate": float(point), "mean": float(np.mean(draws, axis=axis)), "low": float(low), "high": float(high)}


def business_case(effect: Effect, a: Assumptions, interval: str = "ci", draws: int = DEFAULT_DRAWS,
                  seed: int = DEFAULT_SEED) -> dict:
    """Per-year and total results with point estimates, Monte Carlo means, 95 % intervals and P(net > 0)."""
    if interval not in ("ci", "pi"):
        raise BusinessCaseError("interval", "must be 'ci' or 'pi'")
    if not 100 <= draws <= MAX_DRAWS:
        raise BusinessCaseError("draws", f"must be from 100 to {MAX_DRAWS}")
    theta, distribution, scale = _draws(effect, interval, draws, seed)
    s_point = float(success_rate(effect.measure, effect.estimate, a.baseline_risk, a.desirable))
    s_draws = success_rate(effect.measure, theta, a.baseline_risk, a.desirable)
    point, sim = flows(s_point, a), flows(s_draws, a)
    disc = discount_factors(a)
    years = []
    for i in range(a.horizon):
        years.append({
            "year": i + 1,
            "effect_weight": float(effect_weights(a)[i]),
            "discount_factor": float(disc[i]),
            "events_avoided": _summary(point["events"][i], sim["events"][:, i]),
            "savings": {p: _summary(point["savings"][p][i], sim["savings"][p][:, i]) for p in point["savings"]},
            "cost": float(point["cost"][i]),
            "net": {p: _summary(point["net"][p][i], sim["net"][p][:, i]) for p in point["net"]},
        })
    pv_point = {p: float(point["net"][p] @ disc) for p in point["net"]}
    pv_sim = {p: sim["net"][p] @ disc for p in sim["net"]}
    totals = {
        "events_avoided": _summary(point["events"].sum(), sim["events"].sum(axis=1)),
        "savings": {p: _summary(point["savings"][p].sum(), sim["savings"][p].sum(axis=1)) for p in point["savings"]},
        "cost": float(point["cost"].sum()),
        "net": {p: _summary(point["net"][p].sum(), sim["net"][p].sum(axis=1)) for p in point["net"]},
        "present_value": {p: _summary(pv_point[p], pv_sim[p]) for p in pv_point},
        "probability_net_positive": {p: float(np.mean(pv_sim[p] > 0)) for p in pv_sim},
    }
    return {
        "success_rate_pp": _summary(100 * s_point, 100 * s_draws),
        "years": years,
        "totals": totals,
        "monte_carlo": {"interval": interval, "draws": draws, "seed": seed, "distribution": distribution,
                        "location": effect.estimate, "scale": scale, "level": LEVEL},
    }
