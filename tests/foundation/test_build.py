"""evidence validate / build / stats on the real corpus, and all-or-nothing builds."""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter

import pytest
import yaml
from fixture_data import ROOT
from sqlalchemy import select

from evidence.db.models import Effect, Parameter, Study
from evidence.db.session import make_engine
from evidence.records.vocabulary import AREAS

REFERENCE_DIR = ROOT / "tests" / "stats" / "reference"


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
    assert list(stats["areas"]) == list(AREAS)  # coverage per SØM area (tests/foundation/test_coverage.py)
    assert sum(area["effects"] for area in stats["areas"].values()) <= stats["effects"]
    assert {"label_da", "label_en", "studies", "effects", "interventions", "parameters_k3",
            "interventions_k3"} == stats["areas"]["older-people"].keys()


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


#: The metadat datasets whose rows became one study record each, and their copies in tests/stats/reference.
REFERENCE_DATASETS = {"dat.landenberger2005": "landenberger2005.csv", "dat.bcg": "bcg.csv",
                      "dat.normand1999": "normand1999.csv", "dat.bangertdrowns2004": "bangertdrowns2004.csv"}
REFERENCE_ROW = re.compile(r"^(dat\.\w+) \(metadat [^)]*\), row (\d+)\b")


def test_every_reference_row_is_a_study(built_settings):
    """Each source's study count in the database is the number of records naming it, and each row of a
    metadat reference dataset is exactly one record (counted from the files, so adding a study breaks nothing)."""
    records = [yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
               for p in sorted((built_settings.data_dir / "studies").glob("*.yaml"))]
    engine = make_engine(built_settings.database_url)
    with engine.connect() as conn:
        in_database = Counter(r[0] for r in conn.execute(select(Study.source_doi)))
    engine.dispose()
    assert in_database == Counter(r["provenance"].get("source_doi") for r in records)

    rows: dict[str, list[int]] = {name: [] for name in REFERENCE_DATASETS}
    for record in records:
        named = REFERENCE_ROW.match(record["provenance"].get("location") or "")
        if named and named[1] in REFERENCE_DATASETS:
            rows[named[1]].append(int(named[2]))
    for name, csv_name in REFERENCE_DATASETS.items():
        with open(REFERENCE_DIR / csv_name, newline="", encoding="utf-8") as fh:
            count = sum(1 for _ in csv.DictReader(fh))
        assert sorted(rows[name]) == list(range(1, count + 1)), f"{name}: rows {sorted(rows[name])} of {count}"


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


# --- incremental builds --------------------------------------------------------------------------------------

def _rows(url: str) -> dict:
    """Every row a build writes that an incremental build must reproduce (effects without their surrogate id)."""
    from evidence.db.models import BuildInfo, Term

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            def table(model, order, skip=()):
                cols = [c for c in model.__table__.c if c.name not in skip]
                return [tuple(r) for r in conn.execute(select(*cols).order_by(*order))]

            return {
                "studies": table(Study, [Study.id]),
                "effects": table(Effect, [Effect.study_id, Effect.position], skip=("id",)),
                "parameters": table(Parameter, [Parameter.id]),
                "terms": table(Term, [Term.kind, Term.slug]),
                "build_info": table(BuildInfo, [BuildInfo.dataset_version], skip=("built_at",)),
            }
    finally:
        engine.dispose()


def _edit(rng, studies, vocab_groups) -> str:
    """One random edit of the study records: change a number, add, delete, or change a target group."""
    import re

    paths = sorted(studies.glob("*.yaml"))
    kind = rng.choice(["number", "add", "delete", "target_group"])
    path = rng.choice(paths)
    text = path.read_text()
    if kind == "number":
        numbers = [m for m in re.finditer(r"^(\s+(?:m1i|m2i|yi|estimate|sample_size): )(-?\d+(?:\.\d+)?)$", text, re.M)]
        if numbers:
            m = rng.choice(numbers)
            value = float(m.group(2)) + rng.choice([0.5, 1, 2]) if "." in m.group(2) or "sample" not in m.group(1) \
                else int(m.group(2)) + 1
            text = text[:m.start(2)] + str(value) + text[m.end(2):]
            path.write_text(text)
        return f"number in {path.name}"
    if kind == "add":
        new_id = f"zz-copy-{rng.randrange(10**6)}"
        (studies / f"{new_id}.yaml").write_text(re.sub(r"^id: .*$", f"id: {new_id}", text, count=1, flags=re.M))
        return f"add {new_id} from {path.name}"
    if kind == "delete":
        path.unlink()
        return f"delete {path.name}"
    groups = list(re.finditer(r"^(\s+target_group: )(\S+)$", text, re.M))
    m = rng.choice(groups)
    path.write_text(text[:m.start(2)] + rng.choice(vocab_groups) + text[m.end(2):])
    return f"target group in {path.name}"


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_build_equals_a_full_build(settings, data_dir, tmp_path, seed):
    """After random edits, an incremental build writes exactly the rows a full build of the same data writes."""
    import os
    import random
    import time

    from evidence.build import build
    from evidence.config import load_settings
    from evidence.records.validate import load_corpus

    rng = random.Random(seed)
    studies = data_dir / "studies"
    old = time.time() - 3600  # files older than the build: (size, mtime) is trusted for those not edited
    for path in data_dir.rglob("*.yaml"):
        os.utime(path, (old, old))
    used = sorted({line.split(":", 1)[1].strip() for p in studies.glob("*.yaml")
                   for line in p.read_text().splitlines() if line.strip().startswith("target_group:")})
    reference = load_settings(env={}, data_dir=data_dir, instance_dir=tmp_path / "reference")
    build(settings)
    for round_ in range(6):
        edits = []
        for _ in range(rng.randint(1, 3)):
            backup = {p: p.read_bytes() for p in studies.glob("*.yaml")}
            edits.append(_edit(rng, studies, used))
            if load_corpus(data_dir).problems:  # an edit that makes the data invalid: undo it
                for p in studies.glob("*.yaml"):
                    if p not in backup:
                        p.unlink()
                for p, content in backup.items():
                    if not p.exists() or p.read_bytes() != content:
                        p.write_bytes(content)
                edits.pop()
        done = build(settings, incremental=True)
        assert done.incremental, edits
        expected = build(reference)
        assert done.dataset_version == expected.dataset_version, edits
        assert _rows(settings.database_url) == _rows(reference.database_url), (round_, edits)


def test_incremental_build_without_changes_keeps_everything(settings):
    from evidence.build import build

    build(settings)
    before = _rows(settings.database_url)
    again = build(settings, incremental=True)
    assert again.incremental and again.studies == [] and again.parameters == []
    assert _rows(settings.database_url) == before


def test_vocabulary_change_forces_a_full_build(settings, data_dir):
    from evidence.build import build

    build(settings)
    path = data_dir / "vocabularies" / "outcomes.yaml"
    path.write_text(path.read_text() + "\n# a comment\n")
    assert not build(settings, incremental=True).incremental


def test_full_flag_forces_a_full_build(cli):
    assert cli("build").exit_code == 0
    again = cli("build")
    assert again.exit_code == 0 and "incremental" in again.output
    full = cli("build", "--full")
    assert full.exit_code == 0 and "incremental" not in full.output


def test_a_change_of_code_forces_a_full_build(settings, monkeypatch):
    from evidence import build as build_module

    build_module.build(settings)
    assert build_module.build(settings, incremental=True).incremental
    monkeypatch.setattr(build_module, "code_hash", lambda: "another version of the statistics")
    assert not build_module.build(settings, incremental=True).incremental


def test_repeated_cli_builds_keep_one_index_link(cli, settings, data_dir):
    """The index path stays a link to one versioned folder, build after build."""
    for i in range(4):
        path = data_dir / "studies" / "aronson-1948.yaml"
        path.write_text(path.read_text().replace(f"ai: {4 + i}", f"ai: {5 + i}"))
        args = ("build", "--full") if i % 2 else ("build",)
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert settings.index_dir.is_symlink()
        assert os.readlink(settings.index_dir) == ".index.current/index", "a fixed link through the switch"
        assert (settings.index_dir.parent / ".index.current").is_symlink()
    folders = sorted(p.name for p in settings.index_dir.parent.glob(".index.read-*"))
    # the live folder and the one it replaced (kept one build longer, for requests still reading it)
    assert folders == sorted(os.readlink(settings.index_dir.parent / f".index.{n}") for n in ("current", "previous"))
