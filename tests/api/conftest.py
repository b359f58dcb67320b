"""Fixtures for the API tests that need their own build (data edits, releases)."""

from __future__ import annotations

import pytest

from evidence import create_app


@pytest.fixture
def private_app(settings):
    """An app on the test's own settings; its database engine is closed afterwards (PostgreSQL pools)."""
    app = create_app(settings, TESTING=True)
    yield app
    app.extensions["evidence.read"].dispose()
