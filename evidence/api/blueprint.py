"""The API's blueprints: 400 (not 422) for bad parameters, unknown parameters refused, errors as problems.

``fallback`` catches every other path under /api/v1, so a typo in a URL is a
problem+json 404 (or 405 for a known path with another method), not a page.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import current_app, redirect, request
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from . import problems
from .common import ProblemSchema

#: Returned by every successful response (documented in the spec).
VERSION_HEADERS = {
    "X-Dataset-Version": {"description": "content hash of the dataset served", "schema": {"type": "string"}},
    "ETag": {"description": "strong validator: send it back in If-None-Match", "schema": {"type": "string"}},
}


class Parser(FlaskParser):
    """Query parameters: a misspelt name is an error (400), not silently ignored.

    Names starting with "_" (cache busters such as jQuery's ``_=``) are ignored.
    """

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def load_querystring(self, req, schema):
        args = MultiDict([(k, v) for k, v in req.args.items(multi=True) if not k.startswith("_")])
        return self._makeproxy(args, schema)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        problems.attach(self)

    def not_found(self, what: str):
        """Document a 404 problem (with suggestions) on a view."""
        return self.alt_response(404, schema=ProblemSchema, content_type=problems.MEDIA_TYPE,
                                 description=f"No such {what}; `suggestions` lists close matches")


fallback = FlaskBlueprint("api_fallback", __name__)
problems.attach(fallback)


@fallback.route("/api/v1")
@fallback.route("/api/v1/")
def root():
    return redirect("/api/v1/docs")


@fallback.route("/api/v1/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest):
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(request.path, method="GET")
    except Exception:  # no GET route here either (NotFound, a redirect)
        endpoint = None
    if endpoint is not None and endpoint != "api_fallback.unknown":
        raise MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"])
    raise NotFound(f"There is no API resource at {request.path}; see /api/v1/docs.")
