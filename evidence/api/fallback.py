"""Anything else under /api/v1: a 404 (or 405 for a known path) as problem details, not an HTML page."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from . import problems

bp = Blueprint("api_fallback", __name__)
problems.attach(bp)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


@bp.route("/api/v1/<path:rest>", methods=METHODS)
def unknown(rest):
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(request.path, method="GET")
    except Exception:  # no GET route here either (NotFound, redirects)
        endpoint = None
    if endpoint is not None and endpoint != "api_fallback.unknown":
        raise MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"])
    raise NotFound(f"There is no API resource at {request.path}; see /api/v1/docs.")
