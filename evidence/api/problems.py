"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error under ``/api/v1`` — a bad query parameter, an unknown id, a
missing database, a bug — becomes ``{type, title, status, detail, instance}``
plus, where useful, ``errors`` (per parameter), ``suggestions`` (close matches)
or ``available`` (the releases there are). Handlers are attached to the API's
blueprints only, so the HTML pages keep their own error pages.
"""

from __future__ import annotations

import logging

from flask import Response, json, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from ..export.release import ReleaseError
from ..readside import unavailable_reason
from ..search.reader import IndexMissing
from ..services.datasets import NothingBuilt, UnknownRelease
from ..versions import ReadSideError

MEDIA_TYPE = "application/problem+json"
DOCS = "/api/v1/docs#problem-"
log = logging.getLogger(__name__)


class Problem(HTTPException):
    """An HTTP error with a problem type and extension members."""

    def __init__(self, status: int, detail: str, kind: str | None = None, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.code = status
        self.kind = kind
        self.extra = {k: v for k, v in extra.items() if v is not None}
        self.headers = headers or {}


def not_found(detail: str, suggestions: list[str] | None = None, kind: str = "not-found", **extra) -> Problem:
    return Problem(404, detail, kind, suggestions=suggestions or [], **extra)


def unknown_term(detail: str, errors: dict, suggestions: list[str]) -> Problem:
    """A filter names a vocabulary term that does not exist: 404, with close matches."""
    return Problem(404, detail, "unknown-term", errors=errors, suggestions=suggestions)


def bad_request(detail: str, errors: dict | None = None, suggestions: list[str] | None = None) -> Problem:
    return Problem(400, detail, "invalid-parameter", errors=errors, suggestions=suggestions)


def problem_response(status: int, detail: str, kind: str | None = None, headers: dict | None = None,
                     **extra) -> Response:
    body = {"type": DOCS + kind if kind else "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"),
            "status": status, "detail": detail, "instance": request.full_path.rstrip("?"), **extra}
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http(error: HTTPException) -> Response:
    if isinstance(error, Problem):
        return problem_response(error.code, error.description, error.kind, error.headers, **error.extra)
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    messages = data.get("messages")
    if messages is not None:  # webargs validation of query or path parameters
        errors = {name: msgs for location in messages.values() for name, msgs in _items(location)}
        names = ", ".join(sorted(errors)) or "the request"
        return problem_response(400, f"Invalid value for {names}.", "invalid-parameter", headers, errors=errors)
    return problem_response(error.code or 500, error.description or "", None, headers)


def _items(location):
    return location.items() if isinstance(location, dict) else [("_", location)]


def handle_database(error: SQLAlchemyError) -> Response:
    log.error("database unavailable: %s", error)
    return problem_response(503, "The database cannot be read; it may not have been built yet "
                            "(run `evidence build`).", "unavailable", {"Retry-After": "60"})


def handle_index(error: IndexMissing) -> Response:
    return problem_response(503, "The search index is missing; run `evidence build`.", "unavailable",
                            {"Retry-After": "60"})


def handle_read_side(error: Exception) -> Response:
    """The published database or index cannot be used (missing, damaged, mismatched): 503 and why."""
    log.error("read side unavailable: %s", error)
    return problem_response(503, f"The knowledge base cannot be read: {error}", "unavailable",
                            {"Retry-After": "30"})


def handle_nothing_built(error: NothingBuilt) -> Response:
    return problem_response(503, str(error), "unavailable", {"Retry-After": "60"})


def handle_unknown_release(error: UnknownRelease) -> Response:
    return problem_response(404, str(error), "unknown-release",
                            suggestions=[r["name"] for r in error.available][-5:], available=error.available)


def handle_release(error: ReleaseError) -> Response:
    log.error("release unreadable: %s", error)
    return problem_response(500, str(error), "release-damaged")


def handle_unexpected(error: InternalServerError) -> Response:
    original = getattr(error, "original_exception", None)
    if original is not None:
        log.exception("unexpected error in the API", exc_info=original)
    return problem_response(500, "Something went wrong on our side; it has been logged.", None)


def handle_exception(error: Exception) -> Response:
    """A bug: in tests let it propagate (so it is seen), in production answer with a problem."""
    from flask import current_app

    reason = unavailable_reason(error)
    if reason is not None:  # a damaged read side, not a bug: 503 and one log line
        return handle_read_side(ReadSideError(reason))
    if current_app.testing and current_app.config.get("PROPAGATE_EXCEPTIONS", True):
        raise error
    log.exception("unexpected error in the API", exc_info=error)
    return problem_response(500, "Something went wrong on our side; it has been logged.", None)


def attach(blueprint) -> None:
    """Send every error raised in ``blueprint``'s views as problem details."""
    for code in default_exceptions:
        blueprint.register_error_handler(code, handle_unexpected if code == 500 else handle_http)
    blueprint.register_error_handler(Problem, handle_http)
    blueprint.register_error_handler(SQLAlchemyError, handle_database)
    blueprint.register_error_handler(IndexMissing, handle_index)
    blueprint.register_error_handler(ReadSideError, handle_read_side)
    blueprint.register_error_handler(NothingBuilt, handle_nothing_built)
    blueprint.register_error_handler(UnknownRelease, handle_unknown_release)
    blueprint.register_error_handler(ReleaseError, handle_release)
    blueprint.register_error_handler(Exception, handle_exception)
