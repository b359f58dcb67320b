"""What every write-side view applies: the CSRF check of a POST and responses that are never stored.

Apart from ``writeside`` (which registers the views) so the views can use it without importing their registrar.
"""

from __future__ import annotations

from flask import request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def no_store(response):
    """Pages of the write side are personal: never cached, never framed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.pop("ETag", None)
    return response


def protect() -> None:
    """CSRF check of a write-side POST (403 without a valid token)."""
    if request.method == "POST":
        csrf.protect()
