"""Pooled parameters from the real records agree with metafor end to end:
record → escalc → grouping → rma, as stored by the build."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from evidence.db.models import Effect, Parameter
from evidence.db.session import make_engine

FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "pi_low": "pi_lb",
          "pi_high": "pi_ub", "tau2": "tau2", "i2": "I2", "q": "QE", "q_pval": "QEp", "pval": "pval"}
CASES = [
    ("bcg", "RR", "bcg-vaccination.tuberculosis-trial-populations.tuberculosis.no-intervention.not-stated.RR"),
    ("bcg", "OR", "bcg-vaccination.tuberculosis-trial-populations.tuberculosis.no-intervention.not-stated.OR"),
    ("bcg", "RD", "bcg-vaccination.tuberculosis-trial-populations.tuberculosis.no-intervention.not-stated.RD"),
    ("normand1999", "MD", "specialist-stroke-care.stroke-patients.length-of-stay.usual-practice.not-stated.MD"),
    ("normand1999", "SMD", "specialist-stroke-care.stroke-patients.length-of-stay.usual-practice.not-stated.SMD"),
    ("bangertdrowns2004", "GEN",
     "writing-to-learn.school-students.academic-achievement.usual-practice.not-stated.SMD"),
]


@pytest.fixture(scope="module")
def parameters(built_settings):
    engine = make_engine(built_settings.database_url, readonly=True)
    with engine.connect() as conn:
        rows = {r.id: r.result for r in conn.execute(select(Parameter.id, Parameter.result))}
        effects = conn.execute(select(Effect.study_id, Effect.poolable, Effect.target_group)).all()
    engine.dispose()
    return rows, effects


@pytest.mark.parametrize("dataset,measure,pid", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_stored_parameter_equals_metafor_reml(parameters, reference_dir, dataset, measure, pid):
    golden = json.loads((reference_dir / f"{dataset}.metafor.json").read_text())[measure]["fits"]["REML_z"]
    stored = parameters[0][pid]
    assert stored["k"] == golden["k"]
    for ours, theirs in FIELDS.items():
        assert stored[ours] == pytest.approx(golden[theirs], rel=1e-6, abs=1e-9), ours


def test_parent_target_group_pools_its_children(parameters):
    rows, _ = parameters
    parent = rows["cbt-offenders.offenders.recidivism.control.0-12m.OR"]
    juvenile = rows["cbt-offenders.juvenile-offenders.recidivism.control.0-12m.OR"]
    adult = rows["cbt-offenders.adult-offenders.recidivism.control.0-12m.OR"]
    assert parent["k"] == juvenile["k"] + adult["k"]
    assert sorted(parent["studies"]) == sorted(juvenile["studies"] + adult["studies"])
    assert parent["rollup"] and not juvenile["rollup"]
    assert parent["target_groups_pooled"] == ["adult-offenders", "juvenile-offenders"]


def test_no_parameter_holds_an_estimate_twice(parameters):
    # A study sample may give several dependent effect sizes (told apart by their effect id; pooled with CHE),
    # but no estimate enters a parameter twice.
    for pid, result in parameters[0].items():
        estimates = [(r["study"], r["sample"], r["effect"]) for r in result["rows"]]
        assert len(set(estimates)) == len(estimates), pid


def test_effects_shown_only_are_never_pooled(parameters):
    rows, effects = parameters
    pooled = {s for r in rows.values() for s in r["studies"]}
    shown_only = {e.study_id for e in effects if not e.poolable}
    # a study may have pooled and shown-only effects; those with only shown-only ones must not appear
    only = shown_only - {e.study_id for e in effects if e.poolable}
    assert not (only & pooled)


def test_binary_parameters_carry_calculator_units(parameters):
    p = parameters[0]["cbt-offenders.offenders.recidivism.control.0-12m.OR"]
    assert 0 < p["control_risk"] < 1 and 0 < p["treated_risk"] < 1
    assert p["risk_difference_pp"] == pytest.approx(100 * (p["treated_risk"] - p["control_risk"]))
    assert p["risk_difference_pp_ci_low"] < p["risk_difference_pp"] < p["risk_difference_pp_ci_high"]
    assert p["estimate_natural"] == pytest.approx(2.718281828459045 ** p["estimate"])
    assert "Hasselblad" in p["smd_from_log_or_conversion"]
