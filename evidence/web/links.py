"""``url_for`` for the pages and templates, each link built once per process.

A page links ~40 times (every hit's study and interventions, the menu, the forms), and Flask builds
each link through the URL map every time. Inside a request, a path (not ``_external``) depends on
the endpoint, its arguments and the request's script root only: the URL map is fixed once the app
runs, and the app has no URL defaults and no host or subdomain rules. So the path is remembered
under those. Relative endpoints (``.show``, which depend on the request's blueprint), the special
``_`` arguments, unhashable arguments and calls outside a request go to Flask every time.
"""

from __future__ import annotations

from functools import lru_cache

import flask
from flask import has_request_context, request

#: ``url_for``'s own arguments (not the endpoint's): a link with any of them is built every time.
SPECIAL = frozenset({"_anchor", "_method", "_scheme", "_external"})


def url_for(endpoint: str, **values) -> str:
    if endpoint.startswith(".") or not SPECIAL.isdisjoint(values) or not has_request_context():
        return flask.url_for(endpoint, **values)
    try:
        return _path(request.script_root, endpoint, tuple(values.items()))
    except TypeError:  # an unhashable argument
        return flask.url_for(endpoint, **values)


@lru_cache(maxsize=8192)
def _path(script_root: str, endpoint: str, values: tuple) -> str:
    """``flask.url_for(endpoint, **values)`` in a request whose script root is ``script_root``."""
    return flask.url_for(endpoint, **dict(values))
