"""The compiled search dump gives the bytes flask-smorest's ``schema.dump`` + ``jsonify`` gave."""

from __future__ import annotations

import pytest
from flask import current_app, jsonify
from marshmallow import Schema, fields, post_dump

from evidence.api import dumping
from evidence.api.blueprint import Parser
from evidence.api.common import page_of
from evidence.api.schemas import SearchArgs, SearchResultSchema
from evidence.services.search import FILTERS, search

API = "/api/v1"
URLS = [
    "q=cbt", "q=cbt&per_page=3&lang=en", "", "q=recidivsm", "q=tuberculosis&intervention=cbt-offenders",
    "design=rct&design=quasi-experimental&per_page=1", "q=year:[2010 TO", 'q="juvenile offenders"&sort=year',
    "q=employment&sort=effect&page=2&per_page=5", "target_group=offenders&year_from=1990&year_to=2005",
    "q=((\"", "evidence_level=1&country=Denmark&sort=strength", "q=tilbagefald&lang=da&_=123",
    "q=cbt&year_from=2999", "q=writing+OR+tuberculosis&decade=2000&direction=benefit",
]


def reference_body(app, query: str) -> bytes:
    """What the view returned before: ``to_dict()``, the page, ``SearchResultSchema().dump``, ``jsonify``."""
    with app.test_request_context(f"{API}/search?{query}"):
        args = Parser().parse(SearchArgs(), location="query")
        filters = {name: args[name] for name in FILTERS if args.get(name) not in (None, [])}
        result = search(current_app.extensions["evidence.search"], q=args["q"], filters=filters, sort=args["sort"],
                        page=args["page"], per_page=args["per_page"], lang=args["lang"])
        out = result.to_dict()
        out["dataset_version"] = result.dataset_version
        out.update(page_of(result.total, result.page, result.per_page))
        return jsonify(SearchResultSchema().dump(out)).get_data()


@pytest.mark.parametrize("query", URLS)
def test_the_search_response_is_the_schemas_dump(app, query):
    response = app.test_client().get(f"{API}/search?{query}")
    assert response.status_code == 200
    assert response.get_data() == reference_body(app, query)


def test_the_header_and_the_body_name_the_same_dataset(client):
    response = client.get(f"{API}/search?q=cbt")
    assert response.headers["X-Dataset-Version"] == response.get_json()["dataset_version"]


class Inner(Schema):
    n = fields.Integer(required=True)
    x = fields.Float(allow_none=True)
    on = fields.Boolean()
    raw = fields.Raw()


class Outer(Schema):
    name = fields.String(attribute="title", data_key="label")
    tags = fields.List(fields.String())
    inner = fields.Nested(Inner)
    many = fields.List(fields.Nested(Inner))
    by_key = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(Inner)))
    free = fields.Dict()
    missing = fields.String()
    defaulted = fields.Integer(dump_default=lambda: 7)


def test_compiled_schemas_convert_as_marshmallow_does():
    obj = {"title": 5, "tags": ["a", 1, None], "inner": {"n": True, "x": 3, "on": "false", "raw": (1, 2)},
           "many": [{"n": "4", "x": None, "on": 0}], "by_key": {1: [{"n": 2.9, "x": 1.5, "on": 1}]},
           "free": {"k": object}}
    assert dumping.compile_schema(Outer)(obj) == Outer().dump(obj)
    assert list(dumping.compile_schema(Outer)(obj)) == list(Outer().dump(obj))


def test_schemas_with_hooks_or_computed_fields_are_refused():
    class Hooked(Schema):
        a = fields.String()

        @post_dump
        def shout(self, data, **_):
            return data

    class Computed(Schema):
        a = fields.Method("get_a")

        def get_a(self, obj):
            return 1

    for schema in (Hooked, Computed):
        with pytest.raises(dumping.Unsupported):
            dumping.compile_schema(schema)
