"""evidence: an open effect-evidence knowledge base for social investment."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(settings=None, **overrides):
    """The Flask application factory (see ``evidence.app``)."""
    from .app import create_app as _create_app

    return _create_app(settings, **overrides)
