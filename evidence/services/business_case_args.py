"""The business case's arguments, as the API (``/api/v1/business-case``) and the *Beregn* page read them.

One schema for both, so a value the page accepts is one the API accepts, with the same message.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..stats import business_case as model
from ..stats.rma import METHODS, TESTS
from .arguments import text

_PAYER = validate.OneOf(model.PAYERS)


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
