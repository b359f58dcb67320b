"""HTTP manners for everything under /api/: dataset version, ETag and 304, caching, CORS.

- ``X-Dataset-Version`` on every response (``X-Release`` too when one was asked for).
- A strong ETag on successful GETs, from the dataset version and the
  normalized request (path and sorted query): the same request on the same
  data gives the same bytes. ``If-None-Match`` → 304 with no body.
- ``Cache-Control: public, max-age=300`` (a day and ``immutable`` for a
  release); errors are ``no-cache``.
- CORS for GET: any origin may read, and see the ETag and version headers.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, g, request

from ..constants import CODE_VERSION

PREFIX = "/api/"
EXPOSED = "ETag, X-Dataset-Version, X-Release, Content-Disposition, Link"
MAX_AGE = 300


def etag_for(dataset_version: str) -> str:
    args = sorted(request.args.items(multi=True))
    # a view whose answer changes without a new build (the list of releases) names what else it depends on
    normal = "\n".join([CODE_VERSION, dataset_version, g.get("etag_extra", ""), request.path,
                        *(f"{k}={v}" for k, v in args)])
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def _dataset_version() -> str | None:
    if "dataset_version" in g:
        return g.dataset_version
    from ..services.datasets import current_version

    try:
        return current_version()
    except Exception:  # no database (a 503 already says so): leave the header out, never fail here
        return None


def after(response: Response) -> Response:
    if not request.path.startswith(PREFIX):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, If-None-Match, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
        return response
    version = _dataset_version()
    if version:
        response.headers["X-Dataset-Version"] = version
    if g.get("release"):
        response.headers["X-Release"] = g.release
    if response.status_code != 200 or request.method not in ("GET", "HEAD"):
        response.headers.setdefault("Cache-Control", "no-cache")
        return response
    response.headers["Cache-Control"] = ("public, max-age=86400, immutable" if g.get("release")
                                         else f"public, max-age={MAX_AGE}")
    if version:
        tag = etag_for(version)
        response.set_etag(tag)
        if request.if_none_match.contains_weak(tag) or request.if_none_match.star_tag:
            return _not_modified(response)
    return response


def _not_modified(response: Response) -> Response:
    out = Response(status=304)
    for name in ("ETag", "Cache-Control", "X-Dataset-Version", "X-Release", "Access-Control-Allow-Origin",
                 "Access-Control-Expose-Headers", "Content-Location", "Vary"):
        if name in response.headers:
            out.headers[name] = response.headers[name]
    return out


def init_app(app: Flask) -> None:
    app.after_request(after)
