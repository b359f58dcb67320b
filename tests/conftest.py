"""Shared fixtures: a private copy of the data, settings pointing at a temporary
instance folder, a built knowledge base, and the Flask app and client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixture_data import assemble_data

from evidence.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = Path(os.environ.get("EVIDENCE_REFERENCE_DIR", ROOT / "tests" / "stats" / "reference"))
POSTGRES_URL = os.environ.get("EVIDENCE_TEST_DATABASE_URL")


def pytest_addoption(parser):
    parser.addoption("--browser", action="store_true", help="run the end-to-end tests in headless Chromium")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--browser") or os.environ.get("EVIDENCE_BROWSER_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="browser tests are opt-in: pass --browser or set EVIDENCE_BROWSER_TESTS=1")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """metafor's answers on real datasets; missing is a failure, never a skip."""
    if not (REFERENCE_DIR / "README.md").exists():
        pytest.fail(f"the reference datasets are missing at {REFERENCE_DIR}; set EVIDENCE_REFERENCE_DIR")
    return REFERENCE_DIR


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A private, writable copy of the repository's data folder, with the test fixtures (see fixture_data):
    every hand-made record and a sample of each seeded review (the whole base is ``built_settings``)."""
    return assemble_data(tmp_path / "data", sample=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'instance' / 'evidence.db'}"
    if not POSTGRES_URL:
        pytest.skip("set EVIDENCE_TEST_DATABASE_URL to a PostgreSQL database to run the PostgreSQL tests")
    return POSTGRES_URL


@pytest.fixture
def settings(tmp_path, data_dir, database_url):
    return load_settings(env={}, data_dir=data_dir, instance_dir=tmp_path / "instance", database_url=database_url)


@pytest.fixture
def cli(settings):
    """Run ``evidence …`` with the test settings in the environment."""
    from evidence.cli import main

    env = {
        "EVIDENCE_DATA_DIR": str(settings.data_dir),
        "EVIDENCE_INSTANCE_DIR": str(settings.instance_dir),
        "EVIDENCE_DATABASE_URL": settings.database_url,
        "EVIDENCE_INDEX_DIR": str(settings.index_dir),
        "EVIDENCE_RELEASES_DIR": str(settings.releases_dir),
    }

    def run(*args, **kwargs):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False, **kwargs)

    return run


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory):
    """The repository's own corpus with the test fixtures, built once for the read-only tests (SQLite)."""
    from evidence.build import build

    root = tmp_path_factory.mktemp("built")
    settings = load_settings(env={}, data_dir=assemble_data(root / "data"), instance_dir=root / "instance")
    build(settings)
    return settings


@pytest.fixture(scope="session")
def app(built_settings):
    from evidence import create_app

    return create_app(built_settings, TESTING=True)


@pytest.fixture
def client(app):
    return app.test_client()
