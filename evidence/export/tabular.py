"""The flat table shared by the CSV and the XLSX, and the CSV itself.

CSV choices (docs/api.md): UTF-8 *with* a byte-order mark, because Excel
reads a BOM-less file as the local code page and turns "ø" into "Ã¸"; Power
Query and Python's ``utf-8-sig`` read the BOM transparently. Comma-separated,
one header row, CRLF line ends and quotes only where needed (RFC 4180).
Numbers use a point and as many digits as round-trip exactly (``repr``);
lists of ids (studies) are joined with ";", lists of sentences (notes,
strength_reasons) with " | "; empty means null; booleans are true/false.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from typing import BinaryIO

from .columns import BY_NAME, NAMES, SEPARATORS

LIST_SEPARATOR = SEPARATORS["list"]


def row(p: dict) -> list:
    """One parameter's Python values, in column order (lists joined)."""
    return [SEPARATORS[BY_NAME[name].type].join(p[name]) if BY_NAME[name].type in SEPARATORS
            else p[name] for name in NAMES]


def rows(doc: dict) -> list[list]:
    """One list of Python values per parameter, in column order (lists joined)."""
    return [row(p) for p in doc["parameters"]]


def cell(value) -> str:
    """One value as CSV text: empty for None, true/false, floats round-tripping exactly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_csv(doc: dict) -> bytes:
    out = io.BytesIO()
    write_csv(doc["parameters"], out)
    return out.getvalue()


class _Utf8:
    """What csv.writer writes to: text, encoded as UTF-8 into a binary file."""

    def __init__(self, out: BinaryIO):
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(text.encode("utf-8"))


def write_csv(parameters: Iterable[dict], out: BinaryIO) -> int:
    """The CSV (a BOM, then UTF-8), a row at a time; return how many parameters were written."""
    out.write(codecs.BOM_UTF8)
    writer = csv.writer(_Utf8(out), lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(NAMES)
    count = 0
    for p in parameters:
        writer.writerow([cell(v) for v in row(p)])
        count += 1
    return count


def parse(name: str, text: str):
    """A CSV cell back to its JSON value (the inverse of the writer, for readers and tests)."""
    kind = BY_NAME[name].type
    if text == "" and kind not in SEPARATORS:
        return None
    if kind == "number":
        return float(text)
    if kind == "integer":
        return int(text)
    if kind == "boolean":
        return text == "true"
    if kind in SEPARATORS:
        return text.split(SEPARATORS[kind]) if text else []
    return text


def from_csv(data: bytes) -> list[dict]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [{name: parse(name, row[name]) for name in NAMES} for row in reader]
