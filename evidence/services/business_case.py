"""The business case as pages and API serve it: a parameter, a price, assumptions → results with sources.

Flask-free, like :mod:`evidence.services.parameters`: the API resource, the
*Beregn* page and its XLSX all call :func:`calculate`, so every channel gives
the same numbers. The price catalogue is read from ``data/prices`` (reloaded
when a file changes); the arithmetic is :mod:`evidence.stats.business_case`.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from pathlib import Path

from ..records.prices import Price, load_prices
from ..stats import business_case as model
from .parameters import Choice, Source

#: Where the default discount rate comes from (quoted as the stored copy of the note prints it).
DISCOUNT_SOURCE = {
    "title": "Dokumentationsnotat – den samfundsøkonomiske diskonteringsrente (7. januar 2021)",
    "publisher": "Finansministeriet",
    "url": "https://fm.dk/arbejdsomraader/regnemetoder-og-regnemodeller/"
           "vejledning-om-samfundsoekonomiske-konsekvensvurderinger/",
    "location": "section 'Opdatering og sænkelse af den samfundsøkonomiske diskonteringsrente'",
    "quote": "Finansministeriet har besluttet at opdatere og sænke den anbefalede samfundsøkonomiske "
             "diskonteringsrente fra 4 pct. til 3,5 pct. i år 0-35",
}
BINARY = model.MEASURES


class InputError(ValueError):
    """Bad input for a business case: ``field`` is the query parameter to name."""

    def __init__(self, field: str, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.suggestions = suggestions or []


@dataclass(frozen=True)
class Inputs:
    """What a user chooses; ``None`` means the default the result reports."""

    parameter: str
    participants: float = 100.0
    horizon: int = 5
    price: str | None = None
    quantity: float = 1.0
    price_amount: float | None = None  # the user's own price per avoided event instead of a catalogue price
    price_payer: str = "kommune"
    baseline_risk: float | None = None
    duration: int = 1
    fade: float = 0.0
    cost: float = 0.0
    cost_year: int = 1
    cost_payer: str = "kommune"
    discount_rate: float = model.DEFAULT_DISCOUNT_RATE
    seed: int = model.DEFAULT_SEED
    interval: str = "ci"
    draws: int = model.DEFAULT_DRAWS
    effect: float | None = None  # the user's own effect on the parameter's analysis scale
    effect_se: float | None = None
    method: str = "REML"  # tau² estimator; other than the stored REML/z, the parameter is pooled again
    test: str = "z"  # z or knha (Knapp-Hartung: the draws are then Student t with the fit's df)


class Catalogue:
    """The prices under one folder, reloaded when any file there changes."""

    def __init__(self, prices_dir: Path):
        self.dir = prices_dir
        self._stamp: tuple | None = None
        self._prices: list[Price] = []
        self._lock = threading.Lock()

    def prices(self) -> list[Price]:
        files = sorted(self.dir.glob("*.yaml")) if self.dir.is_dir() else []
        stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        if stamp != self._stamp:
            prices, _problems = load_prices(self.dir)  # `evidence validate` reports the problems
            with self._lock:
                self._prices, self._stamp = prices, stamp
        return self._prices

    def get(self, price_id: str) -> Price | None:
        return next((p for p in self.prices() if p.id == price_id), None)

    def for_outcome(self, outcome: str) -> list[Price]:
        return [p for p in self.prices() if outcome in p.outcomes]


_catalogues: dict[Path, Catalogue] = {}


def catalogue(data_dir: Path) -> Catalogue:
    key = Path(data_dir) / "prices"
    if key not in _catalogues:
        _catalogues[key] = Catalogue(key)
    return _catalogues[key]


def is_binary(p: dict) -> bool:
    return p.get("measure") in BINARY and p.get("outcome_desirable") in ("lower", "higher")


def calculate(source: Source, prices: Catalogue, inputs: Inputs) -> dict:
    """The business case for ``inputs``: resolved assumptions, the price and its source, the results."""
    p = source.get(inputs.parameter)
    if p is None:
        ids = [x["id"] for x in source.parameters]
        raise InputError("parameter", f"There is no parameter '{inputs.parameter}'.",
                         difflib.get_close_matches(inputs.parameter, ids, n=3, cutoff=0.6))
    if not is_binary(p):
        raise InputError("parameter", f"Parameter '{p['id']}' is in {p['measure']}; a business case needs a "
                         f"binary outcome in {', '.join(BINARY)} (the same result has them).")
    choice = Choice(inputs.method, inputs.test, inputs.baseline_risk)
    if not choice.stored:
        p = source.get(inputs.parameter, choice)
    baseline = p["control_risk"]
    if baseline is None:
        raise InputError("baseline_risk", "The studies report no control-group risk for this parameter: "
                         "give baseline_risk (strictly between 0 and 1).")
    price = _price(prices, inputs, p["outcome"])
    effect = _effect(p, inputs)
    per_event = price["per_event"] if price else 0.0
    shares = price["payer"] if price else {}
    try:
        assumptions = model.Assumptions(
            participants=inputs.participants, baseline_risk=baseline, desirable=p["outcome_desirable"],
            prices={payer: per_event * share for payer, share in shares.items()}, horizon=inputs.horizon,
            duration=min(inputs.duration, inputs.horizon), fade=inputs.fade, cost=inputs.cost,
            cost_year=inputs.cost_year, cost_payer=inputs.cost_payer, discount_rate=inputs.discount_rate)
        result = model.business_case(effect, assumptions, inputs.interval, inputs.draws, inputs.seed)
    except model.BusinessCaseError as exc:
        raise InputError(exc.field, f"{exc.field} {exc.message}.") from None
    return {
        "dataset_version": source.dataset_version,
        "parameter": _parameter_summary(p, effect),
        "assumptions": {
            "participants": inputs.participants, "horizon": inputs.horizon, "duration": assumptions.duration,
            "fade": inputs.fade, "baseline_risk": baseline, "baseline_risk_source": p["control_risk_source"],
            "cost": inputs.cost, "cost_year": inputs.cost_year, "cost_payer": inputs.cost_payer,
            "discount_rate": inputs.discount_rate, "discount_rate_source": DISCOUNT_SOURCE,
            "interval": inputs.interval, "seed": inputs.seed, "draws": inputs.draws,
            "method": inputs.method, "test": inputs.test,
            "own_effect": inputs.effect is not None,
        },
        "price": price,
        "payers": assumptions.payers,
        **result,
    }


def _price(prices: Catalogue, inputs: Inputs, outcome: str) -> dict | None:
    if inputs.price is not None and inputs.price_amount is not None:
        raise InputError("price", "Give either price (a catalogue id) or price_amount (your own), not both.")
    if inputs.price_amount is not None:
        return {"id": None, "label_da": "Egen pris", "label_en": "Own price", "amount": inputs.price_amount,
                "currency": "DKK", "unit": "event", "price_year": None, "payer": {inputs.price_payer: 1.0},
                "outcomes": [outcome], "source": None, "quantity": 1.0, "per_event": inputs.price_amount}
    if inputs.price is None:
        return None
    found = prices.get(inputs.price)
    if found is None:
        ids = [x.id for x in prices.prices()]
        raise InputError("price", f"There is no price '{inputs.price}' in the catalogue.",
                         difflib.get_close_matches(inputs.price, ids, n=3, cutoff=0.5) or
                         [x.id for x in prices.for_outcome(outcome)])
    if outcome not in found.outcomes:
        raise InputError("price", f"Price '{found.id}' prices {', '.join(found.outcomes)}, not '{outcome}'.",
                         [x.id for x in prices.for_outcome(outcome)])
    return {**found.as_dict(), "quantity": inputs.quantity, "per_event": found.amount * inputs.quantity}


def _effect(p: dict, inputs: Inputs) -> model.Effect:
    if (inputs.effect is None) != (inputs.effect_se is None):
        raise InputError("effect" if inputs.effect is None else "effect_se",
                         "Give your own effect as both effect and effect_se.")
    own = inputs.effect is not None
    try:
        return model.Effect(p["measure"], inputs.effect if own else p["estimate"],
                            inputs.effect_se if own else p["se"], tau2=p.get("tau2"),
                            omega2=p.get("omega2"), df=p.get("df"))
    except model.BusinessCaseError as exc:
        raise InputError("effect" if exc.field == "estimate" else "effect_se", f"{exc.message}.") from None


def _parameter_summary(p: dict, effect: model.Effect) -> dict:
    keys = ("id", "intervention", "target_group", "outcome", "comparison", "followup", "measure", "k", "studies",
            "outcome_desirable", "intervention_label_da", "intervention_label_en", "outcome_label_da",
            "outcome_label_en", "target_group_label_da", "target_group_label_en", "followup_label_da",
            "followup_label_en", "som_success_rate_pp", "som_success_rate_pp_ci_low", "som_success_rate_pp_ci_high")
    return {**{k: p.get(k) for k in keys}, "estimate": effect.estimate, "se": effect.se, "tau2": effect.tau2,
            "omega2": effect.omega2, "df": effect.df}
