"""Every number of every record seeded from a dataset equals its source row (data/sources/, in the repository).

Independent of the seed scripts: this reads each effect's ``location``
("data/sources/<folder>/<file> row N"), the row from the committed CSV with the
standard csv module, and compares the effect's figures — and the study's
sample size and the descriptors that name a column — with the cells, exactly.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from pathlib import Path

import pytest
from fixture_data import ROOT

from evidence.records.yamlio import load

SOURCES = ROOT / "data" / "sources"
LOCATION = re.compile(r"^data/sources/(?P<folder>[^/]+)/(?P<file>[^ ]+) row (?P<row>\d+)\b")
#: Per source: which column each figure comes from (form effect or counts, as the dataset gives it).
FIGURES = {
    "dietrichson2021-k6": {"yi": "Effectsize_g", "sei": "SE_g"},
    "dalgaard-group-based": {"yi": "gt_pop", "vi": "vgt_pop"},
    "taylor-youth-employment-cnma": {"yi": "es", "sei": "se"},
    "taylor-care-leavers": {"yi": "es", "sei": "se"},
    "bachmann2010-geriatric-rehab": {"estimate": "or", "ci_low": "lb", "ci_high": "ub",
                                     "ai": "ai", "n1i": "n1i", "ci": "ci", "n2i": "n2i"},
}
EFFECTS_WRITTEN = re.compile(r"effects written: (\d+)")


def rows_used(folder: str) -> int:
    """Rows a source's records use: one per effect written, as its SEED-REPORT.md states (the report gives the
    rows left out and why; it is rewritten with the records, so a re-seed that adds rows changes both)."""
    written = EFFECTS_WRITTEN.findall((SOURCES / folder / "SEED-REPORT.md").read_text(encoding="utf-8"))
    assert len(written) == 1, f"{folder}/SEED-REPORT.md should say 'effects written: N' once"
    return int(written[0])


@functools.cache
def _rows(folder: str, file: str) -> tuple[dict, ...]:
    with open(SOURCES / folder / file, newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def _number(text: str):
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _same(value, cell: str) -> bool:
    if cell == "":
        return value is None
    if value == cell:
        return True
    try:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == float(cell)
    except ValueError:
        return False


@functools.cache
def _seeded() -> tuple[tuple[Path, dict], ...]:
    out = []
    for path in sorted((ROOT / "data" / "studies").glob("*.yaml")):
        if "data/sources/" in path.read_text(encoding="utf-8"):
            record = load(path).data
            if any(LOCATION.match(e.get("location") or "") for e in record["effects"]):
                out.append((path, record))
    return tuple(out)


def test_every_source_named_by_a_record_is_in_the_repository_with_its_source_md():
    folders = {LOCATION.match(e["location"])["folder"] for _, r in _seeded() for e in r["effects"]}
    assert len(_seeded()) >= 300
    assert folders == set(FIGURES)
    for folder in folders:
        assert (SOURCES / folder / "SOURCE.md").is_file() and (SOURCES / folder / "SEED-REPORT.md").is_file()
        assert any(p.name.startswith("LICENSE") for p in (SOURCES / folder).iterdir()), folder


@pytest.mark.parametrize("folder", sorted(FIGURES))
def test_every_seeded_number_equals_its_source_row(folder):
    used = Counter()
    checked = 0
    for path, record in _seeded():
        rows = []
        for effect in record["effects"]:
            m = LOCATION.match(effect.get("location") or "")
            if m is None or m["folder"] != folder:
                continue
            row = _rows(folder, m["file"])[int(m["row"]) - 1]
            used[(m["file"], m["row"])] += 1
            rows.append(row)
            columns = FIGURES[folder]
            assert effect["data"], path.name
            for key, value in effect["data"].items():
                if key == "ci_level":
                    assert value == 0.95  # the dataset's CIs are 95 % intervals (SOURCE.md)
                    continue
                assert key in columns, (path.name, effect["id"], key)
                assert isinstance(value, (int, float)) and _same(value, row[columns[key]]), \
                    (path.name, effect["id"], key, value, row[columns[key]])
                checked += 1
            assert m["row"] in record["provenance"]["location"], (path.name, effect["id"])
            if folder == "dalgaard-group-based":
                assert effect["id"] == f"es-{_number(row['esid'])}"
        if not rows:
            continue
        _check_study(path.name, record, rows, folder)
    assert sum(used.values()) == rows_used(folder)
    assert max(used.values()) == 1  # no row feeds two effects
    assert checked >= rows_used(folder) * 2


def _check_study(name: str, record: dict, rows: list[dict], folder: str) -> None:
    size = record["design"].get("sample_size")
    if folder == "bachmann2010-geriatric-rehab":
        assert size == _number(rows[0]["nti"]) + _number(rows[0]["nci"]), name
    elif size is not None:
        column = {"taylor-youth-employment-cnma": "sample.size", "taylor-care-leavers": "sample.size"}.get(folder,
                                                                                                        "N_total")
        assert size == max(_number(r[column]) for r in rows), name
    for key, value in record["provenance"]["descriptors"].items():
        if key not in rows[0]:
            continue
        cells = [r[key] for r in rows]
        if isinstance(value, list):
            assert len(value) == len(cells) and all(_same(v, c) for v, c in zip(value, cells)), (name, key)
        else:
            assert all(_same(value, c) for c in cells), (name, key, value, cells[:3])
