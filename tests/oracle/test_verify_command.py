"""`evidence verify` proves a build's numbers against R, and fails loudly when one differs.

The whole knowledge base is checked in test_knowledge_base.py; here the
command runs on a small part of it (the CBT-for-offenders studies and the
Fuchs studies of Dietrichson et al. (2021), with several effect sizes each), to stay quick.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from evidence.db.models import Parameter
from evidence.db.session import make_engine


@pytest.fixture
def settings(settings):
    studies = sorted((settings.data_dir / "studies").glob("*.yaml"))
    keep = {p for p in studies if "recidivism" in p.read_text(encoding="utf-8")}
    keep |= {p for p in studies if p.name.startswith("fuchs-")}  # Dietrichson et al. (2021): several effects each
    for path in studies:
        if path not in keep:
            path.unlink()
    return settings


def test_verify_after_build_says_every_number_equals_r(cli, settings):
    assert cli("build").exit_code == 0
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "every number equals R's" in result.output
    assert "rma parameters" in result.output and "che-rve parameters" in result.output


def test_verify_reports_a_stored_number_that_differs(cli, settings):
    assert cli("build").exit_code == 0
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        pid, result = conn.execute(select(Parameter.id, Parameter.result).order_by(Parameter.id)).first()
        conn.execute(update(Parameter).where(Parameter.id == pid)
                     .values(result={**result, "se": result["se"] * 1.001}))
    engine.dispose()
    out = cli("verify")
    assert out.exit_code == 1
    assert f"{pid} (" in out.output and ") se: stored" in out.output and "1 difference(s) from R" in out.output
