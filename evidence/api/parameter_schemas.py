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
from ..services.arguments import slug
from ..stats.pooled import DEFAULT_RHO
from ..stats.rma import METHODS, TESTS

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
    k_effects = fields.Integer(required=True)
    model = fields.String(required=True)


class RhoSchema(Schema):
    rho = fields.Float(required=True)
    estimate = fields.Float(required=True)
    se = fields.Float(required=True)
    ci_low = fields.Float(required=True)
    ci_high = fields.Float(required=True)
    df = fields.Float(required=True, allow_none=True)
    tau2 = fields.Float(required=True)
    omega2 = fields.Float(required=True, allow_none=True)


class SensitivitySchema(Schema):
    leave_one_out = fields.List(fields.Nested(LeaveOneOutSchema), required=True)
    rct_only = fields.Nested(RctOnlySchema, required=True, allow_none=True)
    rho = fields.List(fields.Nested(RhoSchema), required=True,
                      metadata={"description": "che-rve only: the model refitted at other within-study correlations"})


class StudyEffectSchema(Schema):
    study = fields.String(required=True)
    label = fields.String(required=True)
    yi = fields.Float(required=True, metadata={"description": "the study's effect (dependent effects aggregated)"})
    vi = fields.Float(required=True)
    sei = fields.Float(required=True)
    n_effects = fields.Integer(required=True)
    weight = fields.Float(required=True, metadata={"description": "the study's share of the pooled estimate, %"})


class SmallStudyTestSchema(Schema):
    model = fields.String(required=True)
    predictor = fields.String(required=True)
    method = fields.String(required=True)
    test = fields.String(required=True)
    k = fields.Integer(required=True)
    stat = fields.Float(required=True)
    df = fields.Float(required=True, allow_none=True)
    pval = fields.Float(required=True)
    limit_estimate = fields.Float(required=True)
    limit_ci_low = fields.Float(required=True)
    limit_ci_high = fields.Float(required=True)
    on = fields.String(required=True)


ParameterSchema = Schema.from_dict(
    {**{c.name: _column(c) for c in COLUMNS},
     "rows": fields.List(fields.Nested(RowSchema), required=True),
     "sensitivity": fields.Nested(SensitivitySchema, required=True, allow_none=True),
     "study_effects": fields.List(fields.Nested(StudyEffectSchema), required=True,
                                  metadata={"description": "one row per study, for forest and funnel plots"}),
     "small_study_test": fields.Nested(SmallStudyTestSchema, required=True, allow_none=True,
                                       metadata={"description": "Egger's regression test (metafor regtest), "
                                                 "from 10 studies"})},
    name="Parameter")


class SettingsSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    test = fields.String(required=True, validate=validate.OneOf(TESTS))
    level = fields.Float(required=True)
    rho = fields.Float(required=True)
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
    rho = fields.Float(load_default=DEFAULT_RHO, validate=validate.Range(0, 1, max_inclusive=False),
                       metadata={"description": "within-study correlation of dependent effect sizes, used by "
                                 "che-rve parameters (default 0.8); other values re-pool from the stored rows",
                                 "exclusiveMaximum": True})
    version = fields.String(validate=VERSION_RULE,
                            metadata={"description": "a release name or dataset_version to read instead of "
                                      "the current build"})


class ParameterArgs(ChoiceArgs):
    intervention = slug("intervention")
    target_group = slug("target group (exactly: each level has its own parameters)")
    outcome = slug("outcome")
    measure = fields.String(validate=validate.OneOf(MEASURES))
    followup = fields.String(validate=validate.OneOf([w[0] for w in WINDOWS]))

