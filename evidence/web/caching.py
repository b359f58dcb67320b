"""HTTP caching for the pages: an ETag per (data, URL, language), 304s before rendering.

Every page is a pure function of the built data, the URL and the language, so:

- ``ETag``: a hash of the code's version, the live index's ``dataset_version``
  and directory (every build swaps in a new one after writing the database), the
  host URL (pages link to themselves absolutely), the path, the query pairs
  in sorted order (so ``?a=1&b=2`` and ``?b=2&a=1`` share it) and the page
  language;
- ``If-None-Match`` with that tag → ``304 Not Modified`` *before* the view
  runs: nothing is searched or rendered;
- ``Cache-Control: public, max-age=300`` and ``Vary: Cookie`` (the language
  may come from the ``lang`` cookie) on successful GET/HEAD pages; a response
  that sets a cookie (``?lang=`` remembers the choice) is ``private, no-cache``
  instead, so a shared cache never hands one reader's cookie to another.

A small per-process cache of rendered pages, keyed on the same tag
(:data:`PAGE_CACHE_ENTRIES` pages, :data:`PAGE_CACHE_BYTES` in all), answers a
repeated URL without searching or rendering; a new index (a build) changes
every tag, so nothing stale is served.

The API (``/api/``) has its own manners (``evidence/api/manners.py``: ETag,
304, ``Cache-Control``); static files keep Flask's. The API's search
(:data:`CACHED_API`) shares the response cache: its successful answers are
kept under a hash of the code's version, the live index, the path and the
query pairs *in the order given* (its ``links`` repeat them in that order), so
a repeated query is answered with the same bytes without parsing, searching or
dumping; the API's own hooks still run on it (its headers, a 304 for a
matching ``If-None-Match``).
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, g, request

from ..constants import CODE_VERSION
from ..lru import LRU
from .i18n import current_lang

MAX_AGE = 300
PAGE_CACHE_ENTRIES = 256
PAGE_CACHE_BYTES = 16 << 20
#: Blueprints whose GET pages are cached (their views read only the data, the URL and the language).
CACHED = ("search", "interventions", "studies", "browse")
#: API endpoints whose successful GETs are cached (their views read only the index and the URL).
CACHED_API = ("Search.search",)


def _versions() -> str | None:
    """The live index's dataset version and directory (None when nothing is built).

    Read from the open index, not the database (no query per request): every build, full or
    incremental, writes the database and then swaps in a new index directory, so the directory
    names the data the pages show (for the instant between the two, a page may carry the previous
    tag; a revalidation after the swap then fetches it again).
    """
    try:
        opened = current_app.extensions["evidence.search"].current()
    except Exception:  # nothing built (the view answers 503): no tag
        return None
    return f"{opened.meta.get('dataset_version')}\n{opened.path}"


def etag() -> str | None:
    if "page_etag" not in g:
        versions = _versions()
        if versions is None:
            g.page_etag = None
        else:
            args = sorted(request.args.items(multi=True))
            normal = "\n".join([CODE_VERSION, versions, current_lang(), request.host_url, request.path,
                                *(f"{k}={v}" for k, v in args)])
            g.page_etag = hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]
    return g.page_etag


def _cached_page() -> bool:
    return request.method in ("GET", "HEAD") and request.blueprint in CACHED


def _page_cache():
    cache = current_app.extensions.get("evidence.page_cache")
    if cache is None:
        cache = current_app.extensions["evidence.page_cache"] = LRU(PAGE_CACHE_ENTRIES, PAGE_CACHE_BYTES)
    return cache


def _cached_api() -> bool:
    return request.method == "GET" and request.endpoint in CACHED_API


def api_key() -> str | None:
    """The response cache's key for an API request (None when nothing is built)."""
    if "api_key" not in g:
        versions = _versions()
        if versions is None:
            g.api_key = None
        else:
            normal = "\n".join([CODE_VERSION, versions, request.host_url, request.path,
                                *(f"{k}={v}" for k, v in request.args.items(multi=True))])
            g.api_key = "api:" + hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]
    return g.api_key


def _api_before() -> Response | None:
    key = api_key()
    hit = _page_cache().get(key) if key else None
    if hit is None:
        return None
    body, headers, version = hit
    g.api_cached = True
    if version:
        g.dataset_version = version  # what the view would have set: the API's hooks need no database
    return Response(body, status=200, headers=headers)


def _api_after(response: Response) -> Response:
    if g.get("api_cached") or response.status_code != 200 or response.direct_passthrough:
        return response
    key = api_key()
    if key and "Set-Cookie" not in response.headers:
        body = response.get_data()
        headers = [(k, v) for k, v in response.headers.items() if k != "Content-Length"]
        _page_cache().put(key, (body, headers, g.get("dataset_version")), weight=len(body))
    return response


def before() -> Response | None:
    if _cached_api():
        return _api_before()
    if not _cached_page():
        return None
    tag = etag()
    if not tag:
        return None
    if request.if_none_match and (request.if_none_match.contains_weak(tag) or request.if_none_match.star_tag):
        response = Response(status=304)
        response.set_etag(tag)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        response.headers["Vary"] = "Cookie"
        g.page_not_modified = True
        return response
    if request.method != "GET" or request.args.get("lang"):
        return None  # ?lang= may set the language cookie: rendered afresh
    hit = _page_cache().get(tag)
    if hit is None:
        return None
    body, headers = hit
    g.page_not_modified = True  # complete already: after() leaves it alone
    return Response(body, status=200, headers=headers)


def after(response: Response) -> Response:
    if _cached_api():
        return _api_after(response)
    if not _cached_page() or g.get("page_not_modified"):
        return response
    if response.status_code != 200:
        response.headers.setdefault("Cache-Control", "no-cache")
        return response
    response.vary.add("Cookie")
    if "Set-Cookie" in response.headers:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    tag = etag()
    if tag:
        response.set_etag(tag)
        if request.method == "GET" and "Set-Cookie" not in response.headers and not response.direct_passthrough:
            body = response.get_data()
            headers = [(k, v) for k, v in response.headers.items() if k not in ("Set-Cookie", "Content-Length")]
            _page_cache().put(tag, (body, headers), weight=len(body))
    return response


def init_app(app: Flask) -> None:
    app.before_request(before)
    app.after_request(after)
