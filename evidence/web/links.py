"""``url_for`` for the pages and templates, each link built once per process.

A page links ~40 times (every hit's study and interventions, the menu, the forms), and Flask builds
each link through the URL map every time. Inside a request, a path (not ``_external``) depends on
the endpoint, its arguments and the request's script root only: the URL map is fixed once the app
runs, and the app has no URL defaults and no host or subdomain rules. So the path is remembered
under those. Relative endpoints (``.show``, which depend on the request's blueprint), the special
``_`` arguments, unhashable arguments and calls outside a request go to Flask every time.

A link with one argument that changes from link to link (a hit's study: at 20k studies nearly every
one is new) is its endpoint's path with the value put in: Flask builds the path once with a marker
for the value, and the value replaces the marker. Only for a value of unreserved characters (letters,
digits, ``-._~``), which every converter's quoting leaves as they are; any other value, and an
endpoint whose rule refuses the marker, go the way above.
"""

from __future__ import annotations

import re
from functools import lru_cache

import flask
from flask import has_request_context, request

#: ``url_for``'s own arguments (not the endpoint's): a link with any of them is built every time.
SPECIAL = frozenset({"_anchor", "_method", "_scheme", "_external"})


#: A value put into a remembered path as it is: what quoting leaves unchanged (RFC 3986's unreserved characters).
UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")
MARKER = "0evidence-value-marker0"


def url_for(endpoint: str, **values) -> str:
    if endpoint.startswith(".") or not SPECIAL.isdisjoint(values) or not has_request_context():
        return flask.url_for(endpoint, **values)
    if len(values) == 1:
        (name, value), = values.items()
        if isinstance(value, str) and UNRESERVED.fullmatch(value):
            around = _pattern(request.script_root, endpoint, name)
            if around is not None:
                return value.join(around)
    try:
        return _path(request.script_root, endpoint, tuple(values.items()))
    except TypeError:  # an unhashable argument
        return flask.url_for(endpoint, **values)


@lru_cache(maxsize=8192)
def _path(script_root: str, endpoint: str, values: tuple) -> str:
    """``flask.url_for(endpoint, **values)`` in a request whose script root is ``script_root``."""
    return flask.url_for(endpoint, **dict(values))


@lru_cache(maxsize=256)
def _pattern(script_root: str, endpoint: str, name: str) -> tuple[str, str] | None:
    """The path of ``endpoint`` with ``name`` = :data:`MARKER`, split at the marker; None if the rule refuses
    the marker or the path holds it other than once."""
    try:
        path = flask.url_for(endpoint, **{name: MARKER})
    except Exception:  # noqa: BLE001 - a converter that refuses the marker (an int, a list): no pattern
        return None
    parts = path.split(MARKER)
    return (parts[0], parts[1]) if len(parts) == 2 else None
