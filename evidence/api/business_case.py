"""/api/v1/prices and /api/v1/business-case: the price catalogue and the business case built on it."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from ..services import business_case as service
from ..stats import business_case as model
from ..stats.rma import METHODS, TESTS
from . import sources
from .blueprint import VERSION_HEADERS, Blueprint
from .common import slug, text
from .problems import bad_request

bp = Blueprint("Business case", __name__, description="Unit prices of outcomes from public sources, and a "
               "business case (events avoided, savings per payer, net, present value) with Monte Carlo "
               "intervals and the probability of a gain")

_PAYER = validate.OneOf(model.PAYERS)


class PriceArgs(Schema):
    outcome = slug("only prices of this outcome")


class SourceSchema(Schema):
    title = fields.String(required=True)
    publisher = fields.String(required=True)
    url = fields.String(required=True)
    location = fields.String(required=True, metadata={"description": "where in the source (page, table, row)"})
    quote = fields.String(required=True, metadata={"description": "the figure as the source prints it"})


class PriceSchema(Schema):
    id = fields.String(required=True, allow_none=True)
    label_da = fields.String(required=True)
    label_en = fields.String(required=True)
    amount = fields.Float(required=True, metadata={"description": "kroner per unit, in the price year's prices"})
    currency = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "event, day, month or year"})
    price_year = fields.Integer(required=True, allow_none=True)
    payer = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                        metadata={"description": "payer (kommune, region, stat) → share"})
    outcomes = fields.List(fields.String(), required=True)
    source = fields.Nested(SourceSchema, required=True, allow_none=True)
    notes_da = fields.String(allow_none=True)
    notes_en = fields.String(allow_none=True)


class UsedPriceSchema(PriceSchema):
    quantity = fields.Float(required=True, metadata={"description": "units of the price per avoided event"})
    per_event = fields.Float(required=True, metadata={"description": "kroner per avoided event"})


class PriceListSchema(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(PriceSchema), required=True)


class BusinessCaseArgs(Schema):
    parameter = fields.String(required=True, validate=validate.Length(min=1, max=300),
                              metadata={"description": "parameter id (a binary outcome in RR, OR or RD)"})
    participants = fields.Float(load_default=100.0, validate=validate.Range(0, 10_000_000),
                                metadata={"description": "participants starting in year 1"})
    horizon = fields.Integer(load_default=5, validate=validate.Range(1, model.MAX_HORIZON),
                             metadata={"description": "years, 1-10"})
    price = text("catalogue price id (GET /prices)")
    quantity = fields.Float(load_default=1.0, validate=validate.Range(0, 100_000, min_inclusive=False),
                            metadata={"description": "units of the price (days, months, years) per avoided event"})
    price_amount = fields.Float(validate=validate.Range(0, 1e9),
                                metadata={"description": "your own price per avoided event, kroner (instead "
                                          "of price)"})
    price_payer = fields.String(load_default="kommune", validate=_PAYER,
                                metadata={"description": "who pays price_amount"})
    baseline_risk = fields.Float(validate=validate.Range(0, 1, min_inclusive=False, max_inclusive=False),
                                 metadata={"description": "risk without the intervention (default: pooled "
                                           "control risk)"})
    duration = fields.Integer(load_default=1, validate=validate.Range(1, model.MAX_HORIZON),
                              metadata={"description": "years the effect lasts (capped at horizon)"})
    fade = fields.Float(load_default=0.0, validate=validate.Range(0, 1, max_inclusive=False),
                        metadata={"description": "yearly fade of the effect, a share (0.2 = 20 % less each year)"})
    cost = fields.Float(load_default=0.0, validate=validate.Range(0, 1e9),
                        metadata={"description": "intervention cost per participant, kroner"})
    cost_year = fields.Integer(load_default=1, validate=validate.Range(1, model.MAX_HORIZON),
                               metadata={"description": "year the cost falls"})
    cost_payer = fields.String(load_default="kommune", validate=_PAYER)
    discount_rate = fields.Float(load_default=model.DEFAULT_DISCOUNT_RATE, validate=validate.Range(0, model.MAX_RATE),
                                 metadata={"description": "yearly, as a share: 0.035 = 3.5 % (0-0.2)"})
    seed = fields.Integer(load_default=model.DEFAULT_SEED, validate=validate.Range(0, 2 ** 32 - 1))
    interval = fields.String(load_default="ci", validate=validate.OneOf(("ci", "pi")),
                             metadata={"description": "ci: sampling distribution; pi: a new setting "
                                       "(prediction distribution)"})
    draws = fields.Integer(load_default=model.DEFAULT_DRAWS, validate=validate.Range(100, model.MAX_DRAWS))
    effect = fields.Float(validate=validate.Range(-20, 20),
                          metadata={"description":
                                    "your own effect on the parameter's analysis scale (with effect_se)"})
    effect_se = fields.Float(validate=validate.Range(0, 20))
    method = fields.String(load_default="REML", validate=validate.OneOf(METHODS),
                           metadata={"description": "tau² estimator (the parameter is pooled again if not REML)"})
    test = fields.String(load_default="z", validate=validate.OneOf(TESTS),
                         metadata={"description": "z, or knha (Knapp-Hartung: Student t draws with the fit's df)"})


class StatSchema(Schema):
    estimate = fields.Float(required=True, metadata={"description": "closed form at the pooled estimate"})
    mean = fields.Float(required=True, metadata={"description": "Monte Carlo mean"})
    low = fields.Float(required=True, metadata={"description": "2.5th percentile"})
    high = fields.Float(required=True, metadata={"description": "97.5th percentile"})


_BY_PAYER = {"keys": fields.String(), "values": fields.Nested(StatSchema)}


class YearSchema(Schema):
    year = fields.Integer(required=True)
    effect_weight = fields.Float(required=True)
    discount_factor = fields.Float(required=True)
    events_avoided = fields.Nested(StatSchema, required=True)
    savings = fields.Dict(required=True, **_BY_PAYER)
    cost = fields.Float(required=True)
    net = fields.Dict(required=True, metadata={"description": "per payer and 'total'"}, **_BY_PAYER)


class TotalsSchema(Schema):
    events_avoided = fields.Nested(StatSchema, required=True)
    savings = fields.Dict(required=True, **_BY_PAYER)
    cost = fields.Float(required=True)
    net = fields.Dict(required=True, **_BY_PAYER)
    present_value = fields.Dict(required=True, **_BY_PAYER)
    probability_net_positive = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                                           metadata={"description": "share of draws with a positive present value"})


class BusinessCaseSchema(Schema):
    dataset_version = fields.String(required=True)
    parameter = fields.Dict(required=True)
    assumptions = fields.Dict(required=True)
    price = fields.Nested(UsedPriceSchema, required=True, allow_none=True)
    payers = fields.List(fields.String(), required=True)
    success_rate_pp = fields.Nested(StatSchema, required=True)
    years = fields.List(fields.Nested(YearSchema), required=True)
    totals = fields.Nested(TotalsSchema, required=True)
    monte_carlo = fields.Dict(required=True)


def _catalogue() -> service.Catalogue:
    return service.catalogue(current_app.config["EVIDENCE"].data_dir)


@bp.route("/prices")
@bp.arguments(PriceArgs, location="query")
@bp.response(200, PriceListSchema, headers=VERSION_HEADERS)
def list_prices(args):
    """The price catalogue: unit costs of outcome events and states, each with its public source and price year."""
    sources.current_version()
    prices = _catalogue().prices()
    if args.get("outcome"):
        prices = [p for p in prices if args["outcome"] in p.outcomes]
    return {"total": len(prices), "items": [p.as_dict() for p in prices]}


@bp.route("/business-case")
@bp.arguments(BusinessCaseArgs, location="query")
@bp.response(200, BusinessCaseSchema, headers=VERSION_HEADERS)
def business_case(args):
    """A business case for one parameter: per-year and total events avoided, savings per payer, cost, net
    result and present value, with 95 % Monte Carlo intervals and the probability of a positive net result.

    Point estimates (`estimate`) are the closed form at the pooled estimate; `mean`, `low` and `high` come
    from `draws` simulations (seeded by `seed`) of the estimate's sampling distribution (`interval=ci`) or
    of the prediction distribution for a new setting (`interval=pi`).
    """
    try:
        return service.calculate(sources.current(), _catalogue(), service.Inputs(**args))
    except service.InputError as exc:
        raise bad_request(exc.message, errors={exc.field: [exc.message]}, suggestions=exc.suggestions) from None
