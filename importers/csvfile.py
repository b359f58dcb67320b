"""Read an extraction spreadsheet saved as CSV: the table, cleaned, with spreadsheet row numbers.

- UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"); anything else is refused;
- comma or semicolon delimiters (Danish Excel writes semicolons), and then decimal commas;
- blank rows skipped, headers normalised ("Target group" → ``target_group``), a few
  common aliases accepted (``alloc`` → ``design``, ``followup_months`` → ``timepoint_months``);
- every problem is located as ``file:row N: column: message`` with the header as row 1.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from .problems import ImportProblem
from .text import DecodeError, decode

#: metafor's escalc names for the figures of one estimate.
COUNT_COLUMNS = ("ai", "bi", "ci", "di", "n1i", "n2i")
NUMBER_COLUMNS = ("m1i", "m2i", "sd1i", "sd2i", "yi", "vi", "sei")
DATA_COLUMNS = COUNT_COLUMNS + NUMBER_COLUMNS
#: Columns that say which study and which estimate a row is; all others are descriptors.
ROW_COLUMNS = ("study", "author", "year", "doi", "bibkey", "design", "country", "timepoint_months",
               "measure", "intervention", "target_group", "outcome", "comparison", "esid")
KNOWN = frozenset(DATA_COLUMNS + ROW_COLUMNS)
#: Other names for known columns, after normalisation.
ALIASES = {
    "alloc": "design", "allocation": "design", "study_design": "design",
    "followup_months": "timepoint_months", "follow_up_months": "timepoint_months",
    "followup": "timepoint_months", "follow_up": "timepoint_months", "timepoint": "timepoint_months",
    "authors": "author", "first_author": "author", "target": "target_group", "population": "target_group",
    "es_id": "esid",
}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def normalise_header(name: str) -> str:
    key = re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
    return ALIASES.get(key, key)


@dataclass
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    values: dict[str, str]  # normalised column -> stripped text; an empty cell is left out (read it with .get)


@dataclass
class Table:
    path: str
    delimiter: str
    columns: list[str]  # normalised names, in file order
    headers: dict[str, str]  # normalised name -> the header as written
    rows: list[Row] = field(default_factory=list)

    @property
    def decimal_comma(self) -> bool:
        return self.delimiter == ";"

    def number(self, row: Row, column: str, problems: list[ImportProblem], whole: bool = False):
        """The cell as an int or float, None when empty or NA; a located problem when not a number."""
        text = row.values.get(column, "")
        if text.upper() in ("", "NA", "N/A", "."):
            return None
        value = parse_number(text, self.decimal_comma)
        if isinstance(value, str):
            problems.append(ImportProblem(self.path, f"row {row.number}", self.headers.get(column, column), value))
            return None
        if whole and not float(value).is_integer():
            problems.append(ImportProblem(self.path, f"row {row.number}", self.headers.get(column, column),
                                          f"'{text}' is not a whole number (a count of people or events)"))
            return None
        return value


def parse_number(text: str, decimal_comma: bool):
    """int or float for "12", "0.65" (and "0,65" with decimal commas); else a message (str)."""
    raw = text
    text = text.strip().replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    if "," in text:
        if not decimal_comma:
            return (f"'{raw}' has a comma: in a comma-separated file write decimals with a point"
                    " (0.65), and no thousands separators")
        if "." in text or text.count(",") > 1:
            return f"'{raw}' is ambiguous: write numbers without thousands separators (1234,5 or 1234.5)"
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return f"'{raw}' is not a number"
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        return f"'{raw}' is not a finite number"
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _delimiter(header_line: str) -> str | None:
    """";" when the header has more semicolons than commas (Danish Excel), "," otherwise; None for tabs."""
    counts = {d: header_line.count(d) for d in (",", ";")}
    if counts[";"] > counts[","]:
        return ";"
    if counts[","] == 0 and "\t" in header_line:
        return None
    return ","


def read_table(data: bytes, path: str) -> tuple[Table | None, list[ImportProblem]]:
    """The table in ``data``, or None with the problems that prevent reading it."""
    try:
        text = decode(data, "csv")
    except DecodeError as exc:
        return None, [ImportProblem(path, f"line {exc.line}" if exc.line else "", "", str(exc))]
    lines = text.splitlines()
    first = next((line for line in lines if line.strip().strip(",;")), None)
    if first is None:
        return None, [ImportProblem(path, "", "", "the file is empty: it needs a header row and one row per estimate")]
    delimiter = _delimiter(first)
    if delimiter is None:
        return None, [ImportProblem(path, "row 1", "", "the file is tab-separated; save it as CSV"
                                    " (comma- or semicolon-separated)")]
    problems: list[ImportProblem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table: Table | None = None
    positions: list[str | None] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue  # a blank row
            if table is None:
                table, positions = _header(cells, number, path, delimiter, problems)
                if table is None:
                    return None, problems
                continue
            extra = [c for c in cells[len(positions):] if c]
            if extra:
                problems.append(ImportProblem(path, f"row {number}", "",
                                              f"{len(cells)} cells but the header names {len(positions)} columns"
                                              f" (is a '{delimiter}' inside a value that is not in quotes?)"))
                continue
            stray = [i for i, name in enumerate(positions) if name is None and i < len(cells) and cells[i]]
            if stray:
                problems.append(ImportProblem(path, f"row {number}", f"column {stray[0] + 1}",
                                              f"'{cells[stray[0]]}' is in a column without a name;"
                                              " name the column in row 1, or empty it"))
                continue
            # only the filled cells: a wide extraction sheet is mostly empty, and a large file has many rows
            values = {name: cells[i] for i, name in enumerate(positions[:len(cells)]) if name and cells[i]}
            table.rows.append(Row(number, values))
    except csv.Error as exc:
        problems.append(ImportProblem(path, f"row {number + 1}", "", f"cannot read the CSV: {exc}"
                                      " (an unclosed quote?)"))
        return None, problems
    if table is None:
        return None, [ImportProblem(path, "", "", "the file has no header row")]
    if not table.rows and not problems:
        problems.append(ImportProblem(path, "", "", "the file has a header but no rows"))
    return table, problems


def _header(cells: list[str], number: int, path: str, delimiter: str,
            problems: list[ImportProblem]) -> tuple[Table | None, list[str | None]]:
    where = f"row {number}"
    positions: list[str | None] = []
    headers: dict[str, str] = {}
    for i, cell in enumerate(cells, start=1):
        if not cell:
            positions.append(None)  # an unnamed column: its cells must stay empty
            continue
        name = normalise_header(cell)
        if not name:
            problems.append(ImportProblem(path, where, cell, "a column name needs letters or digits"))
            positions.append(None)
            continue
        if name in headers:
            problems.append(ImportProblem(path, where, cell, f"column {i} repeats column '{headers[name]}'"
                                          f" (both mean '{name}')"))
            positions.append(None)
            continue
        headers[name] = cell
        positions.append(name)
    if problems:
        return None, positions
    if "study" not in headers and not {"author", "year"} <= headers.keys():
        missing = "year" if "author" in headers else "author" if "year" in headers else "study"
        problems.append(ImportProblem(path, where, missing, "name the study in each row: a 'study' column"
                                      " (\"Guerra (1990)\") or 'author' and 'year' columns"))
        return None, positions
    if not any(c in headers for c in DATA_COLUMNS):
        problems.append(ImportProblem(path, where, "", "no effect-data columns: use metafor's names "
                                      f"({' '.join(DATA_COLUMNS)})"))
        return None, positions
    return Table(path, delimiter, [p for p in positions if p], headers), positions
