"""The curation store as curation_* tables in the production PostgreSQL database, beside the read side:
a full build leaves them alone, and the audit log is append-only there too."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy

from evidence.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("EVIDENCE_TEST_DATABASE_URL")
pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(tmp_path):
    if not URL:
        pytest.skip("set EVIDENCE_TEST_DATABASE_URL to a PostgreSQL database to run the PostgreSQL tests")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    settings = load_settings(env={}, data_dir=tmp_path / "data", instance_dir=tmp_path / "instance",
                             database_url=URL, curation_database_url=URL)
    engine = sqlalchemy.create_engine(URL)
    with engine.begin() as conn:  # a clean slate: the store's tables from an earlier run go
        for table in ("curation_sessions", "curation_audit_log", "curation_attempts", "curation_submissions",
                      "curation_curators"):
            conn.execute(sqlalchemy.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    return settings


def test_the_store_survives_a_full_build_and_its_log_is_append_only(pg_settings):
    from evidence.build import build
    from evidence.curation import accounts
    from evidence.curation.store import engine_for

    engine = engine_for(pg_settings)
    with engine.begin() as conn:
        accounts.add_curator(conn, "kim@example.org", "a long enough password")
    build(pg_settings)  # a full build replaces the read side in the same database
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT email FROM curation_curators")).scalar_one() == "kim@example.org"
        assert conn.execute(sqlalchemy.text("SELECT action FROM curation_audit_log")).scalar_one() == "curator-added"
        assert conn.execute(sqlalchemy.text("SELECT count(*) FROM studies")).scalar_one() > 100
        for statement in ("UPDATE curation_audit_log SET actor = 'x'", "DELETE FROM curation_audit_log"):
            with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"):
                conn.execute(sqlalchemy.text(statement))
            conn.rollback()
    engine.dispose()  # the store's engine is kept per process: close its pooled connections


def test_the_read_side_sqlite_file_is_refused_as_the_store(tmp_path):
    from evidence.curation.store import check_url

    settings = load_settings(env={}, instance_dir=tmp_path)
    with pytest.raises(ValueError, match="replaces"):
        check_url(settings.with_(curation_database_url=settings.database_url))
