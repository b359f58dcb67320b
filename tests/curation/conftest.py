"""A knowledge base of its own (a copy of data/, built), its app with the write side on, a curator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from curation_helpers import CURATOR, PASSWORD

from evidence.config import load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def write_settings(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    return load_settings(env={}, data_dir=data, instance_dir=tmp_path / "instance", secure_cookies=False,
                         write_side=True)


@pytest.fixture
def write_app(write_settings):
    from evidence import create_app
    from evidence.build import build
    from evidence.curation import accounts
    from evidence.curation.store import engine_for

    build(write_settings)
    with engine_for(write_settings).begin() as conn:
        accounts.add_curator(conn, CURATOR, PASSWORD)
    return create_app(write_settings, TESTING=True)
