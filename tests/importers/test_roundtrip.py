"""The four reference datasets, imported with `evidence import csv` into an empty data folder,
give the same studies, effects and numbers as the seed records in data/studies/.

The seed script (scripts/seed_reference_studies.py) wrote one record per dataset row. The
importer, by its contract, makes one record per *study*: rows that name the same study become
effects of one record ("Pelissier (2001)" has two rows, so one record with two effects), unless
they differ in design ("Goldstein (1989)": an RCT and a non-equivalent comparison, so two
records, as in the seed). So studies are compared by name — first authors and year, or the
label — and within a study the effects are compared as a multiset.

Compared per effect: the figures (``data``, exactly), form, measure, intervention, comparison,
target group, outcome, follow-up, and the study's design type. Where a dataset's columns do not
carry a field under its contract name, the test says so:

- landenberger2005 gives the target group in ``group`` (juveniles/adults) and the follow-up in
  ``interval``: neither is a contract column, and the importer does not guess at such generic
  names. They are imported with ``--target-group offenders`` and kept verbatim among the
  provenance descriptors; the test checks that ``offenders`` is the parent of the seed's
  target group, and that the descriptors give the seed's target group (juveniles →
  juvenile-offenders, adults → adult-offenders, the seed script's mapping) and follow-up.
- normand1999 numbers its studies in ``study`` (1…9) and names them in ``source``; the seed
  labels each record with ``source``. The test imports a copy whose header names the
  ``source`` column ``study`` (and the number ``study_no``); every figure is untouched.
- bcg's ``alloc`` column is read as the design (``alloc`` is a documented header alias, and
  random → rct, alternate/systematic → quasi-experimental are documented design aliases).
"""

from __future__ import annotations

import functools
import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest
from fixture_data import FIXTURE_DATA, assemble_vocabularies
from import_helpers import ROOT, check_reference_dir, run_import, tree_hash

from evidence.records.validate import Corpus, load_corpus, load_vocabulary
from evidence.records.yamlio import load
from importers.citation import fold, surname

_spec = importlib.util.spec_from_file_location("seed", ROOT / "scripts" / "seed_reference_studies.py")
seed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed)

DATASETS = {
    "bcg": ["--intervention", "bcg-vaccination", "--target-group", "tuberculosis-trial-populations",
            "--outcome", "tuberculosis", "--comparison", "no-intervention"],
    "landenberger2005": ["--intervention", "cbt-offenders", "--target-group", "offenders",
                         "--outcome", "recidivism", "--comparison", "control"],
    "normand1999": ["--intervention", "specialist-stroke-care", "--target-group", "stroke-patients",
                    "--outcome", "length-of-stay", "--comparison", "usual-practice"],
    "bangertdrowns2004": ["--intervention", "writing-to-learn", "--target-group", "school-students",
                          "--outcome", "academic-achievement", "--comparison", "usual-practice"],
}
ROWS = {"bcg": 13, "landenberger2005": 58, "normand1999": 9, "bangertdrowns2004": 48}
GROUP = {"juveniles": "juvenile-offenders", "adults": "adult-offenders"}  # the seed script's mapping


def _csv(dataset: str, reference_dir: Path, tmp_path: Path) -> Path:
    path = reference_dir / f"{dataset}.csv"
    if dataset != "normand1999":
        return path
    text = path.read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    assert header == '"study","source","n1i","m1i","sd1i","n2i","m2i","sd2i"', header
    copy = tmp_path / "normand1999.csv"
    copy.write_text('"study_no","study","n1i","m1i","sd1i","n2i","m2i","sd2i"\n' + body, encoding="utf-8")
    return copy


def _study_key(citation: dict) -> str:
    if citation.get("authors"):
        return f"{fold(' '.join(surname(a) for a in citation['authors']))} {citation.get('year')}"
    return fold(citation.get("label") or "")


def _effects(records: list[dict], dataset: str, imported: bool) -> dict[str, list]:
    """study key -> sorted comparable effects."""
    out = defaultdict(list)
    for record in records:
        descriptors = record["provenance"].get("descriptors", {})
        for i, effect in enumerate(record["effects"]):
            target, followup = effect["target_group"], effect.get("followup_months")
            if imported and dataset == "landenberger2005":
                assert target == "offenders" and followup is None

                def per_effect(value, i=i):
                    return value[i] if isinstance(value, list) else value

                target, followup = GROUP[per_effect(descriptors["group"])], per_effect(descriptors["interval"])
            out[_study_key(record["citation"])].append(repr((
                effect["data"], effect["form"], effect["measure"], effect["intervention"],
                effect.get("comparison"), target, effect["outcome"], followup, record["design"]["type"])))
    return {k: sorted(v) for k, v in out.items()}


@functools.cache
def _all_seed_records() -> tuple[dict, ...]:
    paths = [*(ROOT / "data" / "studies").glob("*.yaml"), *(FIXTURE_DATA / "studies").glob("*.yaml")]
    return tuple(load(p).data for p in sorted(paths))


def _seed_records(dataset: str) -> list[dict]:
    doi = seed.SOURCES[dataset][1]
    return [r for r in _all_seed_records() if r["provenance"].get("source_doi") == doi]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("roundtrip")


@pytest.fixture(scope="module")
def imported(workspace) -> Path:
    """The four datasets imported, once for this module, into a data folder without studies."""
    reference_dir = check_reference_dir()
    data_dir = workspace / "data"
    (data_dir / "studies").mkdir(parents=True)
    assemble_vocabularies(data_dir / "vocabularies")
    for dataset, options in DATASETS.items():
        result = run_import(data_dir, "csv", _csv(dataset, reference_dir, workspace), *options,
                            "--source", seed.SOURCES[dataset][0])
        assert result.exit_code == 0, result.output
    return data_dir


@pytest.mark.parametrize("dataset", DATASETS)
def test_reference_dataset_round_trips(imported, dataset):
    source = seed.SOURCES[dataset][0]
    records = [load(p).data for p in sorted((imported / "studies").glob("*.yaml"))]
    mine = [r for r in records if r["provenance"]["source"] == source]
    theirs = _seed_records(dataset)
    assert len(theirs) == ROWS[dataset]
    assert sum(len(r["effects"]) for r in mine) == ROWS[dataset]
    assert _effects(mine, dataset, imported=True) == _effects(theirs, dataset, imported=False)
    if dataset == "landenberger2005":
        vocabulary = Corpus()
        load_vocabulary(ROOT / "data" / "vocabularies", vocabulary)
        parents = {vocabulary.vocabulary.get("target_groups", e["target_group"]).parent
                   for r in theirs for e in r["effects"]}
        assert parents == {"offenders"}


def test_the_imported_corpus_is_valid_and_a_second_import_changes_nothing(imported, workspace):
    corpus = load_corpus(imported)
    assert corpus.problems == []
    assert len(corpus.studies) == 122  # 128 rows; 6 studies give two rows each
    before = tree_hash(imported)
    for dataset, options in DATASETS.items():
        result = run_import(imported, "csv", _csv(dataset, check_reference_dir(), workspace), *options,
                            "--source", seed.SOURCES[dataset][0])
        assert result.exit_code == 0, result.output
        assert f"0 new, 0 changed, {ROWS[dataset] - {'landenberger2005': 3, 'bangertdrowns2004': 3}.get(dataset, 0)}" \
               " unchanged" in result.output
        assert "Nothing to write" in result.output
    assert tree_hash(imported) == before
