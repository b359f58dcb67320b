"""marshmallow schemas for study records and vocabulary terms.

The schemas check shape and single-record rules (types, required fields,
impossible numbers). Rules that need other files (known vocabulary terms,
unique ids) live in ``evidence.records.validate``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

# the forms and their measures live with the form rules; importers read MEASURES_OF_FORM from here (re-exported)
from .flat import Flat
from .forms import FORMS, MEASURES, check_effect
from .forms import MEASURES_OF_FORM as MEASURES_OF_FORM

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
slug_field = validate.Regexp(SLUG, error="must be a slug: lower-case letters, digits and single hyphens")

DESIGNS = (
    "rct",
    "cluster-rct",
    "quasi-experimental",
    "controlled-before-after",
    "controlled-study",
    "uncontrolled-before-after",
    "systematic-review",
)
PUBLICATION_TYPES = (
    "journal-article",
    "book-chapter",
    "report",
    "thesis",
    "conference-paper",
    "web-page",
    "other",
)
RISK_OF_BIAS = ("low", "some-concerns", "high", "unclear")


class Finite(fields.Float):
    """A float that must be finite (YAML's .nan and .inf are rejected)."""

    def _validated(self, value):
        num = super()._validated(value)
        if num is not None and not math.isfinite(num):
            raise self.make_error("special")
        return num


class Count(fields.Integer):
    """A whole, non-negative count."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, validate=validate.Range(min=0, error="must be 0 or more"), **kwargs)


class Text(fields.String):
    """Text that is not blank."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(min=1, error="must not be empty"))
        super().__init__(**kwargs)


class HistoryEntrySchema(Schema):
    date = fields.Date(required=True)
    by = Text(required=True)
    change = Text(required=True)


class CitationSchema(Schema):
    authors = fields.List(Text(), load_default=list)
    et_al = fields.Boolean(load_default=False)
    label = Text(load_default=None)  # how the source names the study when it gives no author
    title = Text(load_default=None)
    year = fields.Integer(strict=True, load_default=None)
    journal = Text(load_default=None)
    volume = Text(load_default=None)
    issue = Text(load_default=None)
    pages = Text(load_default=None)
    publisher = Text(load_default=None)
    doi = Text(load_default=None)
    url = fields.Url(load_default=None)
    publication_type = fields.String(load_default="other", validate=validate.OneOf(PUBLICATION_TYPES))
    abstract = Text(load_default=None)
    bibkey = Text(load_default=None)

    @validates_schema
    def _check(self, data, **kwargs):
        year = data.get("year")
        if year is not None and year > dt.date.today().year:
            raise ValidationError(f"{year} is in the future", "year")
        if year is not None and year < 1700:
            raise ValidationError(f"{year} is not a plausible publication year", "year")
        if not data.get("authors") and not data.get("label") and not data.get("title"):
            raise ValidationError("give authors, a title or a label", "authors")


class ProvenanceSchema(Schema):
    source = Text(required=True)  # the publication, or the review/dataset the numbers came from
    source_doi = Text(load_default=None)
    source_url = fields.Url(load_default=None)
    extraction = fields.String(
        load_default="primary", validate=validate.OneOf(("primary", "secondary"))
    )
    location = Text(load_default=None)  # page, table or dataset row
    # The source's own coding of the study (moderators such as setting or age), kept verbatim.
    descriptors = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
    history = fields.List(Flat(HistoryEntrySchema), required=True, validate=validate.Length(min=1))


class DesignSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(DESIGNS))
    country = Text(load_default=None)
    setting = Text(load_default=None)
    sample_size = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1))
    risk_of_bias = fields.String(load_default="unclear", validate=validate.OneOf(RISK_OF_BIAS))
    quality_notes = Text(load_default=None)


class SummarySchema(Schema):
    da = Text(load_default=None)
    en = Text(load_default=None)


class DataSchema(Schema):
    """The numbers of one effect estimate, in metafor's escalc names."""

    ai = Count(load_default=None)
    bi = Count(load_default=None)
    ci = Count(load_default=None)
    di = Count(load_default=None)
    n1i = Count(load_default=None)
    n2i = Count(load_default=None)
    m1i = Finite(load_default=None)
    m2i = Finite(load_default=None)
    sd1i = Finite(load_default=None)
    sd2i = Finite(load_default=None)
    yi = Finite(load_default=None)
    vi = Finite(load_default=None)
    sei = Finite(load_default=None)
    # A reported estimate on its natural scale with its confidence interval.
    estimate = Finite(load_default=None)
    ci_low = Finite(load_default=None)
    ci_high = Finite(load_default=None)
    ci_level = Finite(load_default=0.95,
                      validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False))
    pval = Finite(load_default=None, validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=True))
    t = Finite(load_default=None)
    f = Finite(load_default=None, validate=validate.Range(min=0, min_inclusive=False))
    direction = fields.Integer(strict=True, load_default=None, validate=validate.OneOf((1, -1)))
    # Single-arm rates, and proportions reported without arm sizes.
    events = Count(load_default=None)
    n = Count(load_default=None)
    proportion = Finite(load_default=None, validate=validate.Range(min=0, max=1))
    proportion_high = Finite(load_default=None, validate=validate.Range(min=0, max=1))
    p1i = Finite(load_default=None, validate=validate.Range(min=0, max=1))
    p2i = Finite(load_default=None, validate=validate.Range(min=0, max=1))
    n_total = Count(load_default=None)
    text = Text(load_default=None)


class EffectSchema(Schema):
    id = fields.String(required=True, validate=slug_field)
    intervention = fields.String(required=True, validate=slug_field)
    comparison = fields.String(load_default=None, validate=slug_field)
    target_group = fields.String(required=True, validate=slug_field)
    outcome = fields.String(required=True, validate=slug_field)
    outcome_detail = Text(load_default=None)
    followup_months = Finite(load_default=None, validate=validate.Range(min=0))
    sample = fields.String(load_default="main", validate=slug_field)
    form = fields.String(required=True, validate=validate.OneOf(FORMS))
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES))
    data = Flat(DataSchema, required=True)  # 31 fields, 3 or 4 present: loaded by those present
    poolable = fields.Boolean(load_default=None)  # None: poolable unless the form never is
    not_poolable_reason = Text(load_default=None)
    location = Text(load_default=None)
    notes = Text(load_default=None)

    @validates_schema
    def _check(self, effect, **kwargs):
        errors = check_effect(effect)
        if errors:
            raise ValidationError(errors)


class StudySchema(Schema):
    id = fields.String(required=True, validate=slug_field)
    citation = fields.Nested(CitationSchema, required=True)
    # the schemas without hooks load by the fields present (records/flat.py); CitationSchema's hook is its own
    provenance = Flat(ProvenanceSchema, required=True)
    design = Flat(DesignSchema, required=True)
    summary = Flat(SummarySchema, load_default=dict)
    # EffectSchema's one hook is check_effect: Flat runs it, and lets marshmallow say what it finds
    effects = fields.List(Flat(EffectSchema, check=check_effect), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _check(self, study, **kwargs):
        seen: dict[str, int] = {}
        for i, effect in enumerate(study.get("effects") or []):
            if effect["id"] in seen:
                raise ValidationError(
                    f"effect id '{effect['id']}' is also used by effect {seen[effect['id']]}",
                    f"effects.{i}.id",
                )
            seen[effect["id"]] = i
        for i, effect in enumerate(study.get("effects") or []):
            level3 = study["design"]["type"] == "uncontrolled-before-after"
            if effect["form"] == "single_arm" and not level3:
                raise ValidationError(
                    "single-arm rates belong to uncontrolled before-after studies (level 3)",
                    f"effects.{i}.form",
                )


class TermSchema(Schema):
    slug = fields.String(required=True, validate=slug_field)
    label = fields.Dict(keys=fields.String(validate=validate.OneOf(("da", "en"))), values=Text(), required=True)
    description = fields.Dict(keys=fields.String(validate=validate.OneOf(("da", "en"))), values=Text(),
                              load_default=dict)
    parent = fields.String(load_default=None, validate=slug_field)
    synonyms = fields.Dict(
        keys=fields.String(validate=validate.OneOf(("da", "en"))),
        values=fields.List(Text()),
        load_default=dict,
    )
    needs_curation = fields.Boolean(load_default=False)
    # SØM areas (root slugs of the target groups) an intervention or outcome belongs to; checked in validate.
    areas = fields.List(fields.String(validate=slug_field), load_default=list)

    @validates_schema
    def _check(self, term, **kwargs):
        for lang in ("da", "en"):
            if lang not in term.get("label", {}):
                raise ValidationError(f"a label in '{lang}' is required", "label")


class OutcomeTermSchema(TermSchema):
    type = fields.String(required=True, validate=validate.OneOf(("binary", "continuous")))
    desirable = fields.String(required=True, validate=validate.OneOf(("higher", "lower")))
    default_measure = fields.String(required=True, validate=validate.OneOf(MEASURES))
