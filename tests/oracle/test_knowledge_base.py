"""R is the oracle: every parameter the build stores, refitted in R from its own rows.

The repository's real knowledge base is built and every stored parameter —
with its rho-sensitivity fits, leave-one-out fits and small-study test — is fitted again in
R in one ``Rscript`` run, exactly as ``evidence verify`` does
(evidence/oracle/verify.py holds the models and the named tolerances).
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from evidence.db.session import make_engine
from evidence.oracle import verify as oracle
from evidence.services.parameters import load_current
from evidence.stats.pooled import RHO_SENSITIVITY

CHECKED: dict[str, int] = {}


@pytest.fixture(scope="module")
def stored(built_settings):
    engine = make_engine(built_settings.database_url, readonly=True)
    with Session(engine) as session:
        source = load_current(session)
    engine.dispose()
    assert source is not None and source.parameters
    return source.parameters


def test_every_stored_number_equals_r(stored):
    report = oracle.verify(stored)
    assert report.ok, "\n".join(report.mismatches[:50])
    assert sum(n for what, n in report.checked.items() if what.endswith("parameters")) == len(stored)
    CHECKED.update(report.checked)


def test_what_is_fitted_follows_the_pooling_rule(stored):
    for p in stored:
        assert (p["model"] == "che-rve") == (p["k_effects"] > p["k"] and p["k"] > 1), p["id"]
        rho_fits = sorted(s["rho"] for s in p["sensitivity"]["rho"])
        expected = sorted(r for r in RHO_SENSITIVITY if r != p["rho"]) if p["model"] == "che-rve" else []
        assert rho_fits == expected, p["id"]
        assert (p["small_study_test"] is not None) == (p["k"] >= 10), p["id"]


def test_a_wrong_number_is_caught(stored):
    """The comparison can fail: one stored estimate nudged by 1e-4 relative is reported."""
    p = dict(stored[0])
    p["estimate"] = p["estimate"] * (1 + 1e-4) + 1e-6
    report = oracle.verify([p])
    assert not report.ok and any(" estimate: stored " in line for line in report.mismatches)


def test_every_parameter_from_three_studies_has_its_leave_one_out_checked(stored):
    for p in stored:
        omitted = [e["omitted"] for e in p["sensitivity"]["leave_one_out"]]
        assert omitted == ([s["study"] for s in p["study_effects"]] if p["k"] >= 3 else []), p["id"]


def test_a_wrong_leave_one_out_number_is_caught(stored):
    """The leave-one-out fits are compared too: one nudged tau² is reported with the study left out."""
    p = next(dict(p) for p in stored if len(p["sensitivity"]["leave_one_out"]) > 1
             and p["sensitivity"]["leave_one_out"][1]["tau2"] > 1e-6)
    loo = [dict(e) for e in p["sensitivity"]["leave_one_out"]]
    loo[1]["tau2"] *= 1 + 1e-4
    p["sensitivity"] = {**p["sensitivity"], "leave_one_out": loo}
    report = oracle.verify([p])
    assert len(report.mismatches) == 1
    assert report.mismatches[0].startswith(f"{p['id']} without {loo[1]['omitted']} tau2: stored ")
