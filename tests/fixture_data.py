"""The data the tests build: the repository's ``data/`` plus the test fixtures.

The BCG-vaccine, stroke-care and writing-to-learn records (Colditz et al. 1994,
Normand 1999, Bangert-Drowns et al. 2004, from R's metadat) are not part of the
published knowledge base: they are off its social-policy mission. They live on
in ``tests/fixtures/data/`` — their records and the vocabulary terms only they
use — because the golden tests check import → build → pooling → export on them
against metafor. ``assemble_data`` lays both out as one data folder.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DATA = ROOT / "tests" / "fixtures" / "data"


#: Studies of each seeded review kept in a sample (the first in id order), and seeded studies always kept:
#: the Fuchs studies of Dietrichson et al. (2021) give several effect sizes each, so the sample pools che-rve.
SAMPLE_PER_SOURCE = 6
SAMPLE_ALWAYS = ("fuchs-",)
_SEEDED = re.compile(r"Created by (scripts/seed_\w+\.py)")


@functools.cache
def sample_ids() -> frozenset[str]:
    """A small, representative slice of ``data/studies``: every hand-made record (the CBT-for-offenders
    and trial records), the first ``SAMPLE_PER_SOURCE`` records of each seed script and the Fuchs studies."""
    keep, per_source = set(), {}
    for path in sorted((ROOT / "data" / "studies").glob("*.yaml")):
        seeded = _SEEDED.search(path.read_text(encoding="utf-8"))
        script = seeded.group(1) if seeded else None
        if script is None or path.stem.startswith(SAMPLE_ALWAYS):
            keep.add(path.stem)
        elif per_source.get(script, 0) < SAMPLE_PER_SOURCE:
            per_source[script] = per_source.get(script, 0) + 1
            keep.add(path.stem)
    return frozenset(keep)


def assemble_data(target: Path, sample: bool = False) -> Path:
    """A data folder at ``target``: ``data/`` (without the source CSVs) with the fixture records and terms added.

    ``sample``: only :func:`sample_ids` of the published studies — for tests that build again and again,
    where the whole base would cost minutes and prove nothing more (the whole base is built once, in the
    session fixture ``built_settings``, and checked against R there).
    """
    shutil.copytree(ROOT / "data", target, ignore=shutil.ignore_patterns("sources", "vocabularies"))
    if sample:
        keep = sample_ids()
        for path in (target / "studies").glob("*.yaml"):
            if path.stem not in keep:
                path.unlink()
    for path in sorted((FIXTURE_DATA / "studies").glob("*.yaml")):
        shutil.copy(path, target / "studies" / path.name)
    assemble_vocabularies(target / "vocabularies")
    return target


def assemble_vocabularies(target: Path) -> Path:
    """The repository's vocabularies with the fixture terms appended, at ``target``."""
    shutil.copytree(ROOT / "data" / "vocabularies", target)
    for path in sorted((FIXTURE_DATA / "vocabularies").glob("*.yaml")):
        # Each vocabulary file is one YAML list, so the fixture terms append as text.
        with open(target / path.name, "a", encoding="utf-8") as fh:
            fh.write(path.read_text(encoding="utf-8"))
    return target


def study_file(sid: str) -> Path:
    """A study record of the test data: in ``data/studies`` or among the fixtures."""
    published = ROOT / "data" / "studies" / f"{sid}.yaml"
    return published if published.exists() else FIXTURE_DATA / "studies" / f"{sid}.yaml"
