"""Property-based tests of the whole API against its own OpenAPI document (schemathesis).

Every operation, positive and negative inputs: never a server error, and every
response (errors included) conforms to the documented status code, content
type and schema.

The document is read at collection time from an app without a database (the
spec does not need one); the calls go to the session's app on the built
corpus. (schemathesis' lazy ``from_fixture`` loader does not work with pytest 9.)
"""

from __future__ import annotations

import tempfile

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from evidence import create_app
from evidence.config import load_settings

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

_spec_app = create_app(load_settings(env={}, instance_dir=tempfile.gettempdir() + "/evidence-spec-only"),
                       TESTING=True)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _spec_app)
schema.config.generation.update(max_examples=60, modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                deterministic=True, database="none")


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case, app):
    case.call_and_validate(app=app, checks=CHECKS)
