"""/api/v1/prices and /api/v1/business-case: the price catalogue and the business case built on it."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from ..services import business_case as service
from ..services import datasets
from ..services.arguments import slug
from ..services.business_case_args import BusinessCaseArgs
from .blueprint import VERSION_HEADERS, Blueprint
from .problems import bad_request

bp = Blueprint("Business case", __name__, description="Unit prices of outcomes from public sources, and a "
               "business case (events avoided, savings per payer, net, present value) with Monte Carlo "
               "intervals and the probability of a gain")



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
    datasets.current_version()
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
        return service.calculate(datasets.current(), _catalogue(), service.Inputs(**args))
    except service.InputError as exc:
        raise bad_request(exc.message, errors={exc.field: [exc.message]}, suggestions=exc.suggestions) from None
