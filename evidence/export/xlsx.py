"""The parameters export as an Excel workbook (openpyxl), byte-for-byte reproducible.

Sheets: ``Til beregning`` (one row per intervention × target group × outcome,
Danish headers, natural units: see ``calculation.py``; the workbook opens on
it), ``parameters`` (the CSV's table with real number cells), ``columns``
(every column explained in English and Danish) and ``about`` (dataset version,
settings, how to cite). The zip entries and document properties carry the
build time, not the wall clock, so one build always gives the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from . import calculation
from .columns import COLUMNS, NAMES
from .tabular import rows

BOLD = Font(bold=True)


def to_xlsx(doc: dict) -> bytes:
    wb = Workbook()
    calculation.write(wb.active, doc)
    _parameters(wb.create_sheet("parameters"), doc)
    _columns(wb.create_sheet("columns"))
    _about(wb.create_sheet("about"), doc)
    stamp = _timestamp(doc["generated_at"])
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "evidence"
    wb.properties.title = f"Effect parameters, dataset {doc['dataset_version']}"
    buffer = io.BytesIO()
    with _StampedZip(buffer, "w", zipfile.ZIP_DEFLATED, stamp=stamp) as archive:
        ExcelWriter(wb, archive).save()
    return buffer.getvalue()


def _parameters(ws, doc: dict) -> None:
    ws.title = "parameters"
    ws.append(list(NAMES))
    for row in rows(doc):
        ws.append(row)
    for cell in ws[1]:
        cell.font = BOLD
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(NAMES))}{max(1, len(doc['parameters']) + 1)}"
    for i, name in enumerate(NAMES, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 60 if name == "id" else max(12, min(40, len(name) + 4))


def _columns(ws) -> None:
    ws.append(["column", "type", "description (English)", "forklaring (dansk)"])
    for c in COLUMNS:
        ws.append([c.name, c.type + (" or empty" if c.nullable else ""), c.en, c.da])
    for cell in ws[1]:
        cell.font = BOLD
    for letter, width in zip("ABCD", (28, 18, 80, 80)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row[2:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _about(ws, doc: dict) -> None:
    settings = doc["settings"]
    lines = [
        ("schema", doc["schema"]),
        ("dataset_version", doc["dataset_version"]),
        ("generated_at", doc["generated_at"]),
        ("method", settings["method"]),
        ("test", settings["test"]),
        ("level", settings["level"]),
        ("rho", settings.get("rho")),
        ("baseline_risk", settings.get("baseline_risk")),
        ("parameters", len(doc["parameters"])),
        ("lists", 'studies etc. are joined with ";", notes and strength_reasons with " | " '
                  '/ Lister er adskilt med ";" og " | "'),
        ("scale", "estimate, ci_* and pi_* are on the analysis scale (log for RR/OR/ROM); *_natural are ratios"),
        ("cite", f"evidence knowledge base, dataset {doc['dataset_version']} ({doc['generated_at'][:10]})"),
    ]
    for key, value in lines:
        ws.append([key, value])
        ws.cell(ws.max_row, 1).font = BOLD
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 100


def _timestamp(iso: str) -> dt.datetime:
    """The build time as naive UTC (what the xlsx core properties expect)."""
    try:
        stamp = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return dt.datetime(1980, 1, 1)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return max(stamp, dt.datetime(1980, 1, 1))


class _StampedZip(zipfile.ZipFile):
    """A ZipFile that dates every entry ``stamp`` instead of now."""

    def __init__(self, *args, stamp: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._date_time = stamp.timetuple()[:6]

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        with open(filename, "rb") as handle:
            self.writestr(arcname or str(filename), handle.read())
