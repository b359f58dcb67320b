"""Fixtures for the export tests: the built corpus as a parameters Source."""

from __future__ import annotations

import pytest
from export_helpers import load_source


@pytest.fixture(scope="session")
def source(built_settings):
    return load_source(built_settings)
