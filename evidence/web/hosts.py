"""Refuse a request whose ``Host`` header is not a host name, before Flask routes it.

Flask binds its URL adapter to the ``Host`` header; for a name that is not
one (a 64-letter label, ``xn--zz``, ``a..b``) it cannot, and the error page
then fails in ``url_for`` too, so the client got a bare 500 without the
security headers. This WSGI middleware asks Flask to bind first and answers
400, with the same security headers as every response, when it cannot.
"""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request, Response

from .security import HEADERS

MESSAGE = "The Host header is not a valid host name."
_HOST = re.compile(r"(?:(?P<name>[A-Za-z0-9.-]{1,253})|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def valid_host(value: str | None) -> bool:
    """A DNS name (labels of 1-63 letters, digits, inner hyphens; IDNA labels that decode), IPv4 or [IPv6],
    with an optional port. No header at all is valid (HTTP/1.0: the server's name is used)."""
    if value is None:
        return True
    m = _HOST.fullmatch(value)
    if m is None or (m["port"] and not 0 < int(m["port"]) <= 65535):
        return False
    name = m["name"]
    if name is None:
        return True
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    try:
        name.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return True


class HostCheck:
    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        request = Request(environ)
        if not valid_host(environ.get("HTTP_HOST")):
            return self._refuse(request)(environ, start_response)
        try:
            self.app.create_url_adapter(request)
        except Exception:  # noqa: BLE001 - any failure to bind means the same: not a host we can serve
            return self._refuse(request)(environ, start_response)
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _refuse(request) -> Response:
        if request.path.startswith("/api/"):
            body = json.dumps({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": MESSAGE})
            response = Response(body, status=400, mimetype="application/problem+json")
        else:
            response = Response(f"<!doctype html><title>400</title><h1>400 Bad Request</h1><p>{MESSAGE}</p>",
                                status=400, mimetype="text/html")
        for name, value in HEADERS.items():
            response.headers[name] = value
        response.headers["Cache-Control"] = "no-store"
        return response


def init_app(app) -> None:
    app.wsgi_app = HostCheck(app, app.wsgi_app)
