"""Marshmallow schemas for studies, vocabulary terms and search (arguments and responses)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..records.schemas import DESIGNS
from ..search.facets import DIRECTIONS
from ..services.arguments import slug, text
from ..services.filters import YEAR_RANGE
from ..services.search import SORTS
from .common import PageArgs, PageSchema

YEAR = validate.Range(*YEAR_RANGE)  # the years a search's filters take


class _Years(Schema):
    year_from = fields.Integer(validate=YEAR, metadata={"description": "published in or after (inclusive)"})
    year_to = fields.Integer(validate=YEAR, metadata={"description": "published in or before (inclusive)"})


class StudyArgs(PageArgs, _Years):
    intervention = slug("studies of this intervention (or one below it)")
    target_group = slug("studies of this target group or any group below it")
    outcome = slug("studies measuring this outcome (or one below it)")
    design = fields.String(validate=validate.OneOf(DESIGNS))
    evidence_level = fields.Integer(validate=validate.Range(1, 3), metadata={"description": "Maryland Scale, 1-3"})
    country = text("country, as recorded (case-insensitive)")


class StudySummarySchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)
    authors = fields.List(fields.String(), required=True)
    year = fields.Integer(required=True, allow_none=True)
    design = fields.String(required=True)
    evidence_level = fields.Integer(required=True)
    country = fields.String(required=True, allow_none=True)
    doi = fields.String(required=True, allow_none=True)
    interventions = fields.List(fields.String(), required=True)
    target_groups = fields.List(fields.String(), required=True)
    outcomes = fields.List(fields.String(), required=True)


class StudyListSchema(PageSchema):
    items = fields.List(fields.Nested(StudySummarySchema), required=True)


def _maybe(field_cls, **kw):
    return field_cls(required=True, allow_none=True, **kw)


class EffectSchema(Schema):
    key = fields.String(required=True)
    intervention = fields.String(required=True)
    comparison = _maybe(fields.String)
    target_group = fields.String(required=True)
    outcome = fields.String(required=True)
    outcome_detail = _maybe(fields.String)
    followup_months = _maybe(fields.Float)
    followup = fields.String(required=True)
    sample = fields.String(required=True)
    form = fields.String(required=True)
    measure = fields.String(required=True)
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                       metadata={"description": "the numbers as reported (counts, means, estimate ...)"})
    poolable = fields.Boolean(required=True)
    not_poolable_reason = _maybe(fields.String)
    location = _maybe(fields.String)
    notes = _maybe(fields.String)
    yi = _maybe(fields.Float, metadata={"description": "effect size on the analysis scale"})
    vi = _maybe(fields.Float, metadata={"description": "sampling variance"})
    conversions = fields.List(fields.String(), required=True)
    n_participants = _maybe(fields.Integer)
    direction = _maybe(fields.String)


class StudySchema(Schema):
    dataset_version = fields.String(required=True)
    id = fields.String(required=True)
    label = fields.String(required=True)
    title = _maybe(fields.String)
    authors = fields.List(fields.String(), required=True)
    et_al = fields.Boolean(required=True)
    year = _maybe(fields.Integer)
    journal = _maybe(fields.String)
    publication_type = _maybe(fields.String)
    doi = _maybe(fields.String)
    url = _maybe(fields.String)
    abstract = _maybe(fields.String)
    design = fields.String(required=True)
    evidence_level = fields.Integer(required=True)
    country = _maybe(fields.String)
    setting = _maybe(fields.String)
    sample_size = _maybe(fields.Integer)
    risk_of_bias = fields.String(required=True)
    summary_da = _maybe(fields.String)
    summary_en = _maybe(fields.String)
    source = fields.String(required=True)
    source_doi = _maybe(fields.String)
    path = fields.String(required=True, metadata={"description": "the record file in the data repository"})
    effects = fields.List(fields.Nested(EffectSchema), required=True)
    parameters = fields.List(fields.String(), required=True, metadata={"description": "parameters it is pooled in"})


class TermSchema(Schema):
    slug = fields.String(required=True)
    label_da = fields.String(required=True)
    label_en = fields.String(required=True)
    parent = _maybe(fields.String)
    path = fields.String(required=True, metadata={"description": "root/.../slug"})
    depth = fields.Integer(required=True)
    synonyms_da = fields.List(fields.String(), required=True)
    synonyms_en = fields.List(fields.String(), required=True)
    description_da = _maybe(fields.String)
    description_en = _maybe(fields.String)
    outcome_type = _maybe(fields.String, metadata={"description": "outcomes: binary or continuous"})
    desirable = _maybe(fields.String, metadata={"description": "outcomes: higher or lower is better"})
    default_measure = _maybe(fields.String)
    needs_curation = fields.Boolean(required=True)
    children = fields.List(fields.String(), required=True)
    study_count = fields.Integer(required=True, metadata={"description": "studies of this term or one below it"})
    parameter_count = fields.Integer(required=True)


class TermListSchema(Schema):
    dataset_version = fields.String(required=True)
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(TermSchema), required=True)


class TermDetailSchema(TermSchema):
    dataset_version = fields.String(required=True)
    ancestors = fields.List(fields.String(), required=True, metadata={"description": "parents, nearest first"})
    studies = fields.List(fields.String(), required=True)
    parameters = fields.List(fields.String(), required=True)


class SearchArgs(PageArgs, _Years):
    q = fields.String(load_default="", validate=validate.Length(max=300), metadata={"description": "free text"})
    intervention = fields.List(slug("intervention (repeat for alternatives)"))
    target_group = fields.List(slug("target group, including the groups below it"))
    outcome = fields.List(slug("outcome"))
    evidence_level = fields.List(fields.String(validate=validate.OneOf(["1", "2", "3"])))
    design = fields.List(fields.String(validate=validate.OneOf(DESIGNS)))
    country = fields.List(text("country"))
    direction = fields.List(fields.String(validate=validate.OneOf(DIRECTIONS)))
    decade = fields.List(fields.String(validate=validate.Regexp(r"^[12][0-9]{2}0$")))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    lang = fields.String(load_default="da", validate=validate.OneOf(["da", "en"]))

    @validates_schema
    def _query(self, data, **_):
        if "\x00" in data.get("q", ""):
            raise ValidationError("must not contain NUL characters", "q")


class HitSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    title = _maybe(fields.String)
    authors = fields.List(fields.String(), required=True)
    year = _maybe(fields.Integer)
    country = _maybe(fields.String)
    design = fields.String(required=True)
    evidence_level = fields.Integer(required=True)
    summary = _maybe(fields.String)
    interventions = fields.List(fields.String(), required=True)
    target_groups = fields.List(fields.String(), required=True)
    outcomes = fields.List(fields.String(), required=True)
    directions = fields.List(fields.String(), required=True)
    effect_size = _maybe(fields.Float)
    strength = fields.Integer(required=True)
    score = fields.Float(required=True)


class FacetValueSchema(Schema):
    value = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    selected = fields.Boolean(required=True)
    depth = fields.Integer(required=True)
    parent = _maybe(fields.String)


class MessageSchema(Schema):
    code = fields.String(required=True)
    text = fields.String(required=True)
    params = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class SuggestionSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "spelling (use q) or remove_filter"})
    q = _maybe(fields.String)
    facet = _maybe(fields.String)
    value = _maybe(fields.String)
    count = _maybe(fields.Integer)


class SearchResultSchema(PageSchema):
    q = fields.String(required=True)
    sort = fields.String(required=True)
    interpretation = fields.String(required=True)
    hits = fields.List(fields.Nested(HitSchema), required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)), required=True)
    messages = fields.List(fields.Nested(MessageSchema), required=True)
    suggestions = fields.List(fields.Nested(SuggestionSchema), required=True)
