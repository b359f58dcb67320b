"""Error pages: 404s that suggest close slugs, and a calm page for anything unexpected."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import HTTPException

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


def init_app(app) -> None:
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
        if app.config.get("TESTING") and app.config.get("PROPAGATE_EXCEPTIONS", True):
            raise exc
        app.logger.exception("unexpected error on %s", request.path)
        return render_template("error.html", status=500), 500
