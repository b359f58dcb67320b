"""The rules every query argument follows, for the pages and the API alike (one schema, one answer)."""

from __future__ import annotations

import re

from marshmallow import fields, validate

from ..records.schemas import SLUG

#: Every query parameter's text: no control characters (PostgreSQL refuses NUL), bounded length.
TEXT = [validate.Length(min=1, max=200),
        validate.Regexp(re.compile(r"^[^\x00-\x1f\x7f]*$"), error="must not contain control characters")]
SLUG_RULE = [validate.Length(max=100),
             validate.Regexp(SLUG, error="must be a slug: lower-case letters, digits and hyphens")]


def slug(description: str) -> fields.String:
    return fields.String(validate=SLUG_RULE, metadata={"description": description})


def text(description: str) -> fields.String:
    return fields.String(validate=TEXT, metadata={"description": description})
