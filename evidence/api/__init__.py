"""The JSON API under /api/v1 (flask-smorest): OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

Resources are thin: they read their arguments, ask the services the pages ask
too (``evidence.services``: parameters, studies, terms, search; ``evidence.export``
for files) and render JSON (resources in ``parameters`` and ``catalog``).
Problem details, ETags, caching and CORS are set in ``problems`` and
``manners`` for every path under /api/.
"""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from .common import ProblemSchema
from .problems import MEDIA_TYPE

PREFIX = "/api/v1"
DESCRIPTION = (
    "Default effect parameters (pooled effect sizes) for calculators: SØM-style business cases, web "
    "calculators, scripts. Pin a release with `version=` to reproduce a calculation later. "
    "Estimates are on the analysis scale (log for RR/OR/ROM), as metafor reports them.")


class EvidenceApi(Api):
    """flask-smorest's Api with problem+json errors, handled per blueprint (the pages keep theirs)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # problems.attach() on each API blueprint instead of an app-wide HTTPException handler

    def _register_responses(self):
        """flask-smorest's default responses, documented as application/problem+json."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def init_app(app: Flask) -> None:
    from . import blueprint, business_case, catalog, docs, manners, parameters, releases

    app.config.setdefault("API_TITLE", "evidence")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"info": {"description": DESCRIPTION}})
    api = EvidenceApi(app)
    for bp in (parameters.bp, releases.bp, catalog.studies_bp, catalog.vocabularies_bp, catalog.search_bp,
               business_case.bp):
        api.register_blueprint(bp, url_prefix=PREFIX)
    app.register_blueprint(docs.bp)
    app.register_blueprint(blueprint.fallback)
    manners.init_app(app)

