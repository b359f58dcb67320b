"""What every list and resource shares: problems, pages and their links, safe text and slugs."""

from __future__ import annotations

import math

from flask import request, url_for
from marshmallow import Schema, fields, validate

MAX_PAGE = 10_000


class ReleaseSummarySchema(Schema):
    name = fields.String(required=True)
    dataset_version = fields.String(required=True)
    built_at = fields.String(required=True)
    released_at = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"description": "URI of the problem type (about:blank if generic)"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True, metadata={"description": "the request path and query"})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "messages per parameter (400)"})
    suggestions = fields.List(fields.String(), metadata={"description": "close matches to what was asked for"})
    available = fields.List(fields.Nested(ReleaseSummarySchema),
                            metadata={"description": "the releases that exist (unknown version)"})


class LinksSchema(Schema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    prev = fields.String(required=True, allow_none=True)
    next = fields.String(required=True, allow_none=True)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE), metadata={"description": "from 1"})
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class PageSchema(Schema):
    dataset_version = fields.String(required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    links = fields.Nested(LinksSchema, required=True)


def page_of(total: int, page: int, per_page: int) -> dict:
    """``total``/``page``/``per_page``/``pages`` and ``links`` (self, first, last, prev, next)."""
    pages = max(1, math.ceil(total / per_page))
    args = request.args.to_dict(flat=False)

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        return url_for(request.endpoint, **(request.view_args or {}), **{**args, "page": number, "per_page": per_page})

    return {"total": total, "page": page, "per_page": per_page, "pages": pages,
            "links": {"self": link(page), "first": link(1), "last": link(pages),
                      "prev": link(page - 1) if 1 < page <= pages + 1 else None,
                      "next": link(page + 1) if page < pages else None}}
