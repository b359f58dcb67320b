"""Dependent effect sizes end to end: `evidence import csv` with `esid` → build → che-rve, as R fits them.

The fixture is metadat's dat.konstantopoulos2011 (56 schools in 11 districts;
tests/fixtures/dependent/README.md). Its pooled parameter must be the CHE
model with CR2 inference, and every field must be what metafor 3.8-1 and
clubSandwich give for the CSV's own rows (fitted in R here, not copied).
"""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from evidence.build import build
from evidence.config import load_settings
from evidence.db.session import make_engine
from evidence.oracle.runner import fit_in_r
from evidence.oracle.verify import CHE_FIELDS, CHE_RTOL, VARIANCE_ATOL, VARIANCES, close
from evidence.services.parameters import Choice, load_current

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dependent" / "konstantopoulos2011.csv"
PARAMETER = "district-school-programme.district-pupils.school-achievement.any.not-stated.SMD"
TERMS = {
    "interventions": "- slug: district-school-programme\n  label: {da: Skoleprogram (testdata), "
                     "en: School programme (test data)}\n",
    "target_groups": "- slug: district-pupils\n  label: {da: Elever (testdata), en: Pupils (test data)}\n",
    "outcomes": "- slug: school-achievement\n  label: {da: Skolefaglige resultater (testdata), "
                "en: School achievement (test data)}\n  type: continuous\n  desirable: higher\n"
                "  default_measure: SMD\n",
}


def _import(data_dir: Path):
    from evidence.cli import main

    for kind, text in TERMS.items():
        with open(data_dir / "vocabularies" / f"{kind}.yaml", "a", encoding="utf-8") as fh:
            fh.write(text)
    args = ["import", "csv", str(FIXTURE), "--intervention", "district-school-programme", "--target-group",
            "district-pupils", "--outcome", "school-achievement", "--measure", "SMD",
            "--source", "Konstantopoulos (2011), Research Synthesis Methods 2(1), 61-76; metadat 1.2-0"]
    return CliRunner().invoke(main, args, env={"EVIDENCE_DATA_DIR": str(data_dir), "USER": "tester"},
                              catch_exceptions=False)


def _fixture_rows() -> list[dict]:
    with open(FIXTURE, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_konstantopoulos_imported_with_esid_pools_as_che_rve_equal_to_r(tmp_path, data_dir):
    result = _import(data_dir)
    assert result.exit_code == 0, result.output
    settings = load_settings(env={}, data_dir=data_dir, instance_dir=tmp_path / "instance")
    build(settings)
    engine = make_engine(settings.database_url, readonly=True)
    with Session(engine) as session:
        source = load_current(session)
    engine.dispose()
    p = source.get(PARAMETER)
    assert p is not None
    assert (p["model"], p["k"], p["k_effects"], p["rho"], p["test"]) == ("che-rve", 11, 56, 0.8, "cr2")

    rows = _fixture_rows()
    data = {"yi": [float(r["yi"]) for r in rows], "vi": [float(r["vi"]) for r in rows],
            "study": [r["study"] for r in rows], "method": "REML"}
    fits = fit_in_r([{"name": f"rho{rho}", "model": "che", "rho": rho, **data} for rho in (0.8, 0.5)])
    for fit in fits:
        assert fit["error"] is None, fit["error"]
    r = fits[0]
    for ours, theirs in CHE_FIELDS.items():
        atol = VARIANCE_ATOL if ours in VARIANCES else 1e-9
        assert close(p[ours], r[theirs], CHE_RTOL, atol), (ours, p[ours], r[theirs])

    # Another rho, asked for as the API and the export ask: re-pooled from the stored rows.
    other = source.get(PARAMETER, Choice(rho=0.5))
    assert other["rho"] == 0.5
    for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("df", "df"), ("ci_low", "ci_lb"),
                         ("ci_high", "ci_ub"), ("pi_low", "pi_lb"), ("pi_high", "pi_ub")):
        assert close(other[ours], fits[1][theirs], CHE_RTOL, 1e-9), (ours, other[ours], fits[1][theirs])
    # The independent-effects reading would have been wrong: the CHE standard error is larger.
    naive = fit_in_r([{"name": "naive", "model": "rma", **data}])[0]
    assert p["se"] > 1.5 * naive["se"]
