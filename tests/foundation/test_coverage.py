"""Coverage by SØM area (``evidence stats``), the area vocabulary, and what the published data holds."""

from __future__ import annotations

import shutil
from pathlib import Path

from fixture_data import ROOT
from sqlalchemy import select

from evidence.build import build
from evidence.config import load_settings
from evidence.db.models import Study
from evidence.db.session import make_engine
from evidence.records.validate import load_corpus
from evidence.records.vocabulary import AREAS
from evidence.services.coverage import area_coverage

BACHMANN = "data/sources/bachmann2010-geriatric-rehab/"


def _data(tmp_path: Path, studies: list[Path]) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "vocabularies", data / "vocabularies")
    (data / "studies").mkdir()
    for path in studies:
        shutil.copy(path, data / "studies" / path.name)
    return data


def test_area_coverage_counts_studies_effects_interventions_and_parameters_with_k3(tmp_path):
    bachmann = [p for p in (ROOT / "data" / "studies").glob("*.yaml") if BACHMANN in p.read_text(encoding="utf-8")]
    assert len(bachmann) == 17
    data = _data(tmp_path, [*bachmann, ROOT / "data" / "studies" / "guerra-1990.yaml"])
    settings = load_settings(env={}, data_dir=data, instance_dir=tmp_path / "instance")
    build(settings)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            coverage = area_coverage(conn)
    finally:
        engine.dispose()
    assert list(coverage) == list(AREAS)
    older = coverage["older-people"]
    # 17 trials, 70 effects (32 of 102 rows hold no figures); at discharge: functional improvement (OR, k=8),
    # mortality (k=12) and nursing-home admission (k=10), each counts outcome pooled as RR, OR and RD.
    assert (older["label_da"], older["studies"], older["effects"], older["interventions"]) == ("Ældre", 17, 70, 1)
    assert (older["parameters_k3"], older["interventions_k3"]) == (7, 1)
    adults = coverage["vulnerable-adults"]  # Guerra (1990): juvenile offenders, one study, k = 1
    assert (adults["studies"], adults["effects"], adults["interventions"], adults["parameters_k3"]) == (1, 1, 1, 0)
    for area in ("vulnerable-children-and-youth", "disability", "unemployed-and-sick-listed"):
        assert (coverage[area]["studies"], coverage[area]["effects"], coverage[area]["parameters_k3"]) == (0, 0, 0)


def test_every_target_group_sits_under_one_of_the_five_areas():
    vocab = load_corpus(ROOT / "data").vocabulary
    roots = {slug for slug, term in vocab.terms["target_groups"].items() if term.parent is None}
    assert roots == set(AREAS)
    for slug in vocab.terms["target_groups"]:
        assert vocab.area_of(slug) in AREAS, slug
    for kind in ("interventions", "outcomes"):
        for term in vocab.terms[kind].values():
            assert term.areas and set(term.areas) <= set(AREAS), (kind, term.slug)
    labels = {slug: vocab.get("target_groups", slug).label_da for slug in AREAS}
    assert labels == {"vulnerable-children-and-youth": "Udsatte børn og unge", "vulnerable-adults": "Udsatte voksne",
                      "disability": "Personer med handicap", "unemployed-and-sick-listed": "Ledige og sygemeldte",
                      "older-people": "Ældre"}


def test_an_unknown_area_is_a_located_problem(tmp_path):
    data = _data(tmp_path, [])
    path = data / "vocabularies" / "outcomes.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("areas: [older-people]", "areas: [oldies]", 1),
                    encoding="utf-8")
    problems = [str(p) for p in load_corpus(data).problems]
    assert len(problems) == 1 and "areas.0: unknown area 'oldies'" in problems[0], problems


def test_the_published_knowledge_base_meets_the_issue_12_targets(tmp_path):
    """No off-mission study; ≥ 400 studies; ≥ 3 interventions with a k ≥ 3 parameter in three areas, ≥ 1 for
    older people."""
    corpus = load_corpus(ROOT / "data")
    assert corpus.ok, corpus.problems[:5]
    used = {(e["intervention"], e["target_group"], e["outcome"]) for s in corpus.studies for e in s.data["effects"]}
    off_mission = {"bcg-vaccination", "specialist-stroke-care", "writing-to-learn", "tuberculosis-trial-populations",
                   "stroke-patients", "school-students", "tuberculosis", "length-of-stay"}
    assert not off_mission & {term for triple in used for term in triple}
    settings = load_settings(env={}, data_dir=ROOT / "data", instance_dir=tmp_path / "instance")
    build(settings)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            coverage = area_coverage(conn)
            studies = len(conn.execute(select(Study.id)).all())
    finally:
        engine.dispose()
    assert studies >= 400
    for area in ("vulnerable-children-and-youth", "vulnerable-adults", "unemployed-and-sick-listed"):
        assert coverage[area]["interventions_k3"] >= 3, (area, coverage[area])
    assert coverage["older-people"]["interventions_k3"] >= 1
