"""Error pages: 404s that suggest close slugs, 503 while the read side cannot be used, and a calm page
for anything unexpected.

A damaged or missing database or index is not a bug: it gets a 503 page (and
one log line saying why), never a traceback. When something unexpected
fails, the read side is checked (:meth:`evidence.readside.ReadSide.health`):
if it is unhealthy, the answer is that 503 too.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..readside import unavailable_reason
from ..search.reader import IndexMissing
from ..versions import ReadSideError
from . import catalog

KIND_PREFIX = {"interventions": "/interventions/", "target_groups": "/target-groups/", "outcomes": "/outcomes/"}


def _suggestions(description) -> list[tuple[str, str]]:
    wanted = request.path.rstrip("/").rsplit("/", 1)[-1]
    try:
        if description == "studies":
            return [(s.label, f"/studies/{s.id}") for s in catalog.suggest_studies(wanted)]
        if description in KIND_PREFIX:
            return [(catalog.label(description, t.slug), KIND_PREFIX[description] + t.slug)
                    for t in catalog.suggest(description, wanted)]
    except Exception:  # a missing database must not turn a 404 into a 500
        return []
    return []


def unavailable_page(reason: str):
    current_app.logger.error("read side unavailable on %s: %s", request.path, reason)
    response = current_app.make_response((render_template("error.html", status=503, unavailable=True), 503))
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    @app.errorhandler(ReadSideError)
    @app.errorhandler(IndexMissing)
    @app.errorhandler(SQLAlchemyError)
    def read_side_unavailable(exc):
        return unavailable_page(unavailable_reason(exc))

    @app.errorhandler(404)
    def not_found(exc):
        if request.path.startswith("/api/"):
            return {"error": "not found"}, 404
        return render_template("error.html", status=404, suggestions=_suggestions(exc.description)), 404

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if request.path.startswith("/api/"):
            return exc
        return render_template("error.html", status=exc.code or 500), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc):
        reason = unavailable_reason(exc)
        if reason is not None:  # a damaged read side, not a bug: a 503 and one line, no traceback
            return unavailable_page(reason)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_EXCEPTIONS", True):
            raise exc
        app.logger.exception("unexpected error on %s", request.path)
        return render_template("error.html", status=500), 500
