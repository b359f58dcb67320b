"""What every source seed script shares: reading a source CSV, numbers as written, ids, writing.

The seed scripts (``scripts/seed_<source>.py``) turn one dataset in
``data/sources/<folder>/`` into study records. They are re-runnable: a second
run rewrites the same files byte for byte, because a record's id depends only
on the dataset and on the records *other* sources own.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from evidence.records.slugs import slugify, unique
from evidence.records.write import dump_record, write_files

ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = ROOT / "data" / "sources"
SEEDED = "2026-12-02"
BY = "evidence maintainers"
NEXT_YEAR = dt.date.today().year + 1


def read_rows(path: Path) -> list[dict]:
    """The CSV's rows as text, numbered from 1 (the first row after the header), as SOURCE.md counts them.

    Every cell stays text: an empty cell is missing, and words such as "None"
    or "NA" are values (the sources' README warns that some datasets hold them).
    """
    with open(path, newline="", encoding="utf-8") as fh:
        return [dict(row, _row=n) for n, row in enumerate(csv.DictReader(fh), start=1)]


def num(text: str):
    """A cell as the number it writes: ``2002.0`` → 2002, ``0.55`` → 0.55, empty → None.

    ``float`` of the shortest round-trip text is the stored double exactly, so
    the record holds the dataset's number bit for bit.
    """
    if text is None or text == "":
        return None
    value = float(text)
    return int(value) if value.is_integer() and "e" not in text.lower() and abs(value) < 2**53 else value


def year_in(label: str) -> int | None:
    """A four-digit year between 1900 and next year standing alone in ``label``, else None.

    "2_CET_2005_USA" → 2005; "Study 123459" and "NCT00534404" → None (digits
    that are part of a longer number are not a year).
    """
    found = [int(m) for m in re.findall(r"(?<![0-9A-Za-z])(\d{4})(?![0-9])", label)]
    years = [y for y in found if 1900 <= y <= NEXT_YEAR]
    return years[0] if len(years) == 1 else None


def authors_of(label: str) -> tuple[list[str], bool]:
    """``"Vadasy & Sanders (2010)"`` → (["Vadasy", "Sanders"], False);
    ``"Torgesen et al. (2006)"`` → (["Torgesen"], True)."""
    text = re.sub(r"\s*\(?\b\d{4}[a-z]?\)?\s*$", "", label.strip())
    et_al = bool(re.search(r"\bet al\.?$", text))
    text = re.sub(r",?\s*\bet al\.?$", "", text)
    names = [a.strip() for a in re.split(r"\s*(?:&|,| and )\s*", text) if a.strip()]
    return names, et_al


def cell(text: str):
    """A cell as a descriptor keeps it: the number it writes, or its text (None when empty)."""
    try:
        return num(text)
    except ValueError:
        return text or None


def descriptors(rows: list[dict], columns, as_text=()) -> dict:
    """The source's own coding of a study, verbatim: one value, or one per row (effect) when rows differ."""
    out = {}
    for column in columns:
        values = [(r[column] or None) if column in as_text else cell(r[column]) for r in rows]
        out[column] = values[0] if len(set(map(repr, values))) == 1 else values
    return out


def group_rows(rows: list[dict], key) -> dict:
    """Rows by ``key(row)``, in the order each key first appears."""
    out: dict = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return out


def report(folder: str, script: str, lines: list[str]) -> str:
    return "\n".join([f"# Seed report: {folder}", "", f"Written by `scripts/{script}` (re-run it to re-derive the"
                      " records).", "", *lines, ""])


def owned_by(path: Path, marker: str) -> bool:
    return marker in path.read_text(encoding="utf-8")


def assign_ids(studies_dir: Path, marker: str, records: list[tuple[str, dict]]) -> dict[Path, str]:
    """File → YAML for ``(wanted id, record)`` pairs; ids taken by other sources' records get a suffix.

    ``marker`` is text only this source's records contain (its folder path),
    so this source's own earlier output does not count as taken.
    """
    taken = {p.stem for p in studies_dir.glob("*.yaml") if not owned_by(p, marker)}
    files = {}
    for wanted, record in records:
        sid = unique(slugify(wanted), taken)
        taken.add(sid)
        files[studies_dir / f"{sid}.yaml"] = dump_record({"id": sid, **record})
    return files


def stale(studies_dir: Path, marker: str, files: dict[Path, str]) -> list[Path]:
    """This source's record files that a new run no longer writes (a row now left out)."""
    return [p for p in studies_dir.glob("*.yaml") if owned_by(p, marker) and p not in files]


def write(studies_dir: Path, folder: str, files: dict[Path, str], text: str) -> None:
    """Write every record and the folder's SEED-REPORT.md together, remove this source's stale records, print the
    report."""
    marker = f"data/sources/{folder}/"
    write_files({**files, SOURCES_DIR / folder / "SEED-REPORT.md": text})
    for p in stale(studies_dir, marker, files):
        p.unlink()
    print(text)


def history(script: str, folder: str) -> list[dict]:
    return [{"date": SEEDED, "by": BY, "change": f"Created by scripts/{script} from data/sources/{folder}/."}]
