"""evidence validate / build / stats on the real corpus, and all-or-nothing builds."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from evidence.db.models import Effect, Parameter, Study
from evidence.db.session import make_engine


def test_validate_build_stats_on_the_repository(cli):
    result = cli("validate")
    assert result.exit_code == 0, result.output
    result = cli("build")
    assert result.exit_code == 0, result.output
    stats = json.loads(cli("stats").output)
    assert stats["studies"] >= 140
    assert stats["effects"] >= stats["studies"]
    assert stats["parameters"] > 0
    assert {"interventions", "target_groups", "outcomes"} <= stats.keys()


def _snapshot(url: str) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            studies = conn.execute(select(Study.id, Study.record).order_by(Study.id)).all()
            effects = conn.execute(select(Effect.study_id, Effect.key, Effect.yi, Effect.vi)
                                   .order_by(Effect.study_id, Effect.key)).all()
            params = conn.execute(select(Parameter.id, Parameter.result).order_by(Parameter.id)).all()
    finally:
        engine.dispose()
    return {"studies": [tuple(r) for r in studies], "effects": [tuple(r) for r in effects],
            "parameters": [tuple(r) for r in params]}


def test_building_twice_gives_the_same_database(cli, settings):
    assert cli("build").exit_code == 0
    first = _snapshot(settings.database_url)
    assert cli("build").exit_code == 0
    assert _snapshot(settings.database_url) == first


def test_every_reference_row_is_a_study(built_settings):
    engine = make_engine(built_settings.database_url)
    with engine.connect() as conn:
        sources = [r[0] for r in conn.execute(select(Study.source_doi))]
    engine.dispose()
    assert sources.count("10.1007/s11292-005-3541-7") == 58
    assert sources.count("10.1001/jama.1994.03510330076038") == 13
    assert sources.count("10.1002/(SICI)1097-0258(19990215)18:3<321::AID-SIM28>3.0.CO;2-P") == 9
    assert sources.count("10.3102/00346543074001029") == 48


def test_stats_without_a_database_says_what_to_do(cli, settings):
    from evidence.db.models import Base

    if settings.sqlite_path is None:  # a server database may hold an earlier test's tables
        engine = make_engine(settings.database_url)
        Base.metadata.drop_all(engine)
        engine.dispose()
    result = cli("stats")
    assert result.exit_code == 1
    assert "evidence build" in result.output
    if settings.sqlite_path is not None:
        assert not settings.sqlite_path.exists(), "reading must not create an empty database"


BROKEN = {
    "malformed YAML": ("guerra-1990.yaml", lambda t: t.replace("effects:", "effects: [", 1), "", "not valid YAML"),
    "missing required field": ("guerra-1990.yaml", lambda t: t.replace("  type: rct\n", "", 1),
                               "design.type", "Missing data for required field"),
    "unknown term": ("guerra-1990.yaml", lambda t: t.replace("outcome: recidivism", "outcome: recidivsm"),
                     "effects.0.outcome", "did you mean 'recidivism'"),
    "events > n": ("bcg-ai-gt-n", None, "effects.0.data.ai", "more than the group size"),
    "negative count": ("guerra-1990.yaml", lambda t: t.replace("ai: 10", "ai: -10"),
                       "effects.0.data.ai", "must be 0 or more"),
    "duplicate id": ("copy-of-guerra.yaml", None, "id", "duplicate study id 'guerra-1990'"),
    "SD not positive": ("normand1999-edinburgh.yaml", lambda t: t.replace("sd1i: 47", "sd1i: 0"),
                        "effects.0.data.sd1i", "greater than 0"),
    "year in the future": ("guerra-1990.yaml", lambda t: t.replace("year: 1990", "year: 2999"),
                           "citation.year", "in the future"),
}


def _break(data_dir, case):
    name, change, field, message = BROKEN[case]
    studies = data_dir / "studies"
    if case == "events > n":
        path = studies / "guerra-1990.yaml"
        text = path.read_text().replace("      bi: 19\n", "").replace("      di: 29\n", "")
        text = text.replace("ci: 23", "ci: 23\n      n1i: 5\n      n2i: 52")
        path.write_text(text)
    elif case == "duplicate id":
        path = studies / name
        path.write_text((studies / "guerra-1990.yaml").read_text())
    else:
        path = studies / name
        path.write_text(change(path.read_text()))
    return path, field, message


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_input_is_located_and_changes_nothing(cli, settings, data_dir, case):
    assert cli("build").exit_code == 0
    db_path = settings.sqlite_path
    before = db_path.read_bytes() if db_path else _snapshot(settings.database_url)

    path, field, message = _break(data_dir, case)
    for command in ("validate", "build"):
        result = cli(command)
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if path.name in line]
        assert lines, result.output
        assert any(message in line and (f": {field}:" in line if field else True) for line in lines), result.output

    after = db_path.read_bytes() if db_path else _snapshot(settings.database_url)
    assert after == before


def test_dataset_version_follows_content_not_bytes(data_dir):
    from evidence.build import prepare

    version = prepare(data_dir).dataset_version
    path = data_dir / "studies" / "aronson-1948.yaml"
    original = path.read_text()
    path.write_text("# a curator's comment\n" + original.replace("ai: 4", "ai:   4"))
    assert prepare(data_dir).dataset_version == version, "a comment or spacing is not a change of data"
    path.write_text(original.replace("ai: 4", "ai: 5"))
    assert prepare(data_dir).dataset_version != version
    path.write_text(original)
    assert prepare(data_dir).dataset_version == version
