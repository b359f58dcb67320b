"""Marshmallow schemas for parameters, written from the export's column table.

A parameter here has exactly the fields of the JSON export (one table, in
``evidence/export/columns.py``), so ``/api/v1/parameters`` and
``/api/v1/parameters.json`` carry the same document.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..export.columns import COLUMNS
from ..records.followup import WINDOWS
from ..records.schemas import MEASURES
from ..stats.rma import METHODS, TESTS
from .common import slug

_FIELDS = {"string": fields.String, "number": fields.Float, "integer": fields.Integer, "boolean": fields.Boolean}
VERSION_RULE = [validate.Length(min=1, max=100),
                validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", error="must be a release name or a dataset_version")]


def _column(c) -> fields.Field:
    meta = {"description": c.en}
    if c.type in ("list", "text-list"):
        return fields.List(fields.String(), required=True, metadata=meta)
    return _FIELDS[c.type](required=True, allow_none=c.nullable, metadata=meta)


class RowSchema(Schema):
    study = fields.String(required=True)
    label = fields.String(required=True)
    effect = fields.String(required=True)
    target_group = fields.String(required=True)
    design = fields.String(required=True)
    yi = fields.Float(required=True, metadata={"description": "effect size, analysis scale"})
    vi = fields.Float(required=True, metadata={"description": "sampling variance"})
    weight = fields.Float(required=True, metadata={"description": "weight in the pooled estimate, %"})
    n_participants = fields.Integer(required=True, allow_none=True)
    conversions = fields.List(fields.String(), required=True)
    sample = fields.String(required=True, allow_none=True)
    risk_of_bias = fields.String(required=True, allow_none=True)
    control_events = fields.Integer(required=True, allow_none=True)
    control_n = fields.Integer(required=True, allow_none=True)


class _FitSchema(Schema):
    estimate = fields.Float(required=True)
    ci_low = fields.Float(required=True)
    ci_high = fields.Float(required=True)
    tau2 = fields.Float(required=True, allow_none=True)
    i2 = fields.Float(required=True, allow_none=True)


class LeaveOneOutSchema(_FitSchema):
    omitted = fields.String(required=True)


class RctOnlySchema(_FitSchema):
    k = fields.Integer(required=True)


class SensitivitySchema(Schema):
    leave_one_out = fields.List(fields.Nested(LeaveOneOutSchema), required=True)
    rct_only = fields.Nested(RctOnlySchema, required=True, allow_none=True)


ParameterSchema = Schema.from_dict(
    {**{c.name: _column(c) for c in COLUMNS},
     "rows": fields.List(fields.Nested(RowSchema), required=True),
     "sensitivity": fields.Nested(SensitivitySchema, required=True, allow_none=True)},
    name="Parameter")


class SettingsSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    test = fields.String(required=True, validate=validate.OneOf(TESTS))
    level = fields.Float(required=True)
    baseline_risk = fields.Float()
    filters = fields.Dict(keys=fields.String(), values=fields.String())


class ParametersDocumentSchema(Schema):
    """The export document (``schemas/evidence-parameters-1.schema.json``)."""

    schema = fields.String(required=True, metadata={"description": "evidence-parameters/1"})
    dataset_version = fields.String(required=True)
    generated_at = fields.String(required=True, metadata={"description": "when the dataset was built"})
    settings = fields.Nested(SettingsSchema, required=True)
    parameters = fields.List(fields.Nested(ParameterSchema), required=True)


class ParameterDetailSchema(ParameterSchema):
    dataset_version = fields.String(required=True)
    generated_at = fields.String(required=True)


class ChoiceArgs(Schema):
    method = fields.String(load_default="REML", validate=validate.OneOf(METHODS),
                           metadata={"description": "tau² estimator; stored values are REML, others re-pooled"})
    test = fields.String(load_default="z", validate=validate.OneOf(TESTS),
                         metadata={"description": "z (normal) or knha (Knapp-Hartung)"})
    baseline_risk = fields.Float(validate=validate.Range(0, 1, min_inclusive=False, max_inclusive=False),
                                 metadata={"description": "your control-group risk, strictly between 0 and 1: "
                                           "control_risk, treated_risk and risk_difference_pp are computed at it",
                                           "exclusiveMinimum": True, "exclusiveMaximum": True})
    version = fields.String(validate=VERSION_RULE,
                            metadata={"description": "a release name or dataset_version to read instead of "
                                      "the current build"})


class ParameterArgs(ChoiceArgs):
    intervention = slug("intervention")
    target_group = slug("target group (exactly: each level has its own parameters)")
    outcome = slug("outcome")
    measure = fields.String(validate=validate.OneOf(MEASURES))
    followup = fields.String(validate=validate.OneOf([w[0] for w in WINDOWS]))

