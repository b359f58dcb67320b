"""The parameters export as an Excel workbook (openpyxl), byte-for-byte reproducible.

Sheets: ``Til beregning`` (one row per intervention × target group × outcome,
Danish headers, natural units: see ``calculation.py``; the workbook opens on
it), ``parameters`` (the CSV's table with real number cells), ``columns``
(every column explained in English and Danish) and ``about`` (dataset version,
settings, how to cite). The zip entries and document properties carry the
build time, not the wall clock, so one build always gives the same file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import shutil
import zipfile
from collections.abc import Iterable
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from . import calculation
from .columns import COLUMNS, NAMES
from .tabular import row as rows_of

BOLD = Font(bold=True)


def to_xlsx(doc: dict) -> bytes:
    out = io.BytesIO()
    write_xlsx({k: v for k, v in doc.items() if k != "parameters"}, doc["parameters"], out)
    return out.getvalue()


def write_xlsx(header: dict, parameters: Iterable[dict], out: BinaryIO) -> int:
    """The workbook, written into ``out`` (seekable) with openpyxl's write-only mode: each parameter goes
    to the ``parameters`` sheet's temporary file as it comes; return how many were written."""
    wb = Workbook(write_only=True)
    try:
        return _write(wb, header, parameters, out)
    except BaseException:
        # a failed export (a full disk, a database error) still ends every sheet's stream into its
        # temporary file, so nothing writes to a closed file when the workbook is collected
        for ws in wb.worksheets:
            if not ws.closed:
                with contextlib.suppress(Exception):
                    ws.close()
        raise


def _write(wb: Workbook, header: dict, parameters: Iterable[dict], out: BinaryIO) -> int:
    first = wb.create_sheet(calculation.SHEET)  # the sheet the workbook opens on: filled last, shown first
    table = wb.create_sheet("parameters")
    sheet = calculation.Sheet()
    _parameters_top(table)
    count = 0
    for p in parameters:
        table.append(rows_of(p))
        sheet.add(p)
        count += 1
    table.auto_filter.ref = f"A1:{get_column_letter(len(NAMES))}{max(1, count + 1)}"
    calculation.write(first, sheet)
    _columns(wb.create_sheet("columns"))
    _about(wb.create_sheet("about"), header, count)
    stamp = _timestamp(header["generated_at"])
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "evidence"
    wb.properties.title = f"Effect parameters, dataset {header['dataset_version']}"
    with _StampedZip(out, "w", zipfile.ZIP_DEFLATED, stamp=stamp) as archive:
        ExcelWriter(wb, archive).save()
    return count


def _bold(ws, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    cell.font = BOLD
    return cell


def _parameters_top(ws) -> None:
    """Widths, frozen panes and the bold header: a write-only sheet takes them before any row."""
    for i, name in enumerate(NAMES, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 60 if name == "id" else max(12, min(40, len(name) + 4))
    ws.freeze_panes = "B2"
    ws.append([_bold(ws, name) for name in NAMES])


def _columns(ws) -> None:
    for letter, width in zip("ABCD", (28, 18, 80, 80)):
        ws.column_dimensions[letter].width = width
    ws.append([_bold(ws, name) for name in ("column", "type", "description (English)", "forklaring (dansk)")])
    wrap = Alignment(wrap_text=True, vertical="top")
    for c in COLUMNS:
        row = [c.name, c.type + (" or empty" if c.nullable else "")]
        for text in (c.en, c.da):
            cell = WriteOnlyCell(ws, text)
            cell.alignment = wrap
            row.append(cell)
        ws.append(row)


def _about(ws, header: dict, count: int) -> None:
    settings = header["settings"]
    lines = [
        ("schema", header["schema"]),
        ("dataset_version", header["dataset_version"]),
        ("generated_at", header["generated_at"]),
        ("method", settings["method"]),
        ("test", settings["test"]),
        ("level", settings["level"]),
        ("rho", settings.get("rho")),
        ("baseline_risk", settings.get("baseline_risk")),
        ("parameters", count),
        ("lists", 'studies etc. are joined with ";", notes and strength_reasons with " | " '
                  '/ Lister er adskilt med ";" og " | "'),
        ("scale", "estimate, ci_* and pi_* are on the analysis scale (log for RR/OR/ROM); *_natural are ratios"),
        ("cite", f"evidence knowledge base, dataset {header['dataset_version']} ({header['generated_at'][:10]})"),
    ]
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 100
    for key, value in lines:
        ws.append([_bold(ws, key), value])


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
        """A worksheet's temporary file, copied into the archive a piece at a time (it can be large)."""
        info = zipfile.ZipInfo(arcname or str(filename), date_time=self._date_time)
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        large = os.path.getsize(filename) > zipfile.ZIP64_LIMIT // 2  # zip64 only where a plain entry may not do
        with open(filename, "rb") as handle, self.open(info, "w", force_zip64=large) as entry:
            shutil.copyfileobj(handle, entry, 1 << 20)
