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

import csv
import io

from .columns import BY_NAME, NAMES, SEPARATORS

LIST_SEPARATOR = SEPARATORS["list"]


def rows(doc: dict) -> list[list]:
    """One list of Python values per parameter, in column order (lists joined)."""
    out = []
    for p in doc["parameters"]:
        out.append([SEPARATORS[BY_NAME[name].type].join(p[name]) if BY_NAME[name].type in SEPARATORS
                    else p[name] for name in NAMES])
    return out


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
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(NAMES)
    for row in rows(doc):
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


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
