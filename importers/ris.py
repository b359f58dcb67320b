"""Read RIS (EndNote, Zotero, Mendeley, Scopus, Web of Science) into citation drafts.

rispy does the parsing. Two small subclasses of its parsers count lines, so each
record and problem can be located; Web of Science's own tagged export ("FN Clarivate
Analytics Web of Science", ``PT``/``ER`` records) is read with rispy's WokParser.
"""

from __future__ import annotations

import re

import rispy

from .citation import clean_doi, parse_year
from .draft import Draft
from .problems import ImportProblem, in_file_order
from .references import check_citation, publication_type_of_ris, publication_type_of_wos
from .text import DecodeError, decode


class _Counted:
    """An iterator over lines that knows the number of the last line it gave."""

    def __init__(self, lines):
        self._lines = iter(lines)
        self.number = 0

    def __iter__(self):
        return self

    def __next__(self):
        line = next(self._lines)
        self.number += 1
        return line


class _LineTracking:
    """Mixin: remember the line on which each record starts."""

    def parse(self, text: str) -> list[dict]:
        self.starts: list[int] = []
        self._counted = _Counted(text.split(self.newline))
        return self.parse_lines(self._counted)

    def _iter_till_start(self, lines) -> dict:
        record = super()._iter_till_start(lines)
        self.starts.append(self._counted.number)
        return record


class RisReader(_LineTracking, rispy.RisParser):
    pass


class WosReader(_LineTracking, rispy.WokParser):
    pass


def _first(record: dict, *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            value = next((v for v in value if v and str(v).strip()), None)
        if value and str(value).strip():
            return " ".join(str(value).split())
    return None


def _ris_citation(record: dict) -> dict:
    authors = record.get("authors") or record.get("first_authors") or []
    start, end = _first(record, "start_page"), _first(record, "end_page")
    kind = _first(record, "type_of_reference")
    journal_keys = ("journal_name", "alternate_title3", "secondary_title", "alternate_title1", "alternate_title2")
    urls = [u for u in record.get("urls") or [] if re.match(r"https?://", u or "")]
    return {
        "authors": [" ".join(a.split()) for a in authors if a and a.strip()],
        "title": _first(record, "title", "primary_title"),
        "year": _first(record, "year", "publication_year", "date"),
        "journal": _first(record, *journal_keys) if kind not in ("CHAP", "ECHAP", "BOOK") else None,
        "volume": _first(record, "volume"),
        "issue": _first(record, "number"),
        "pages": f"{start}–{end}" if start and end and start != end else start,
        "publisher": _first(record, "publisher"),
        "doi": clean_doi(_first(record, "doi")),
        "url": urls[0] if urls else None,
        "abstract": _first(record, "abstract", "notes_abstract"),
        "publication_type": publication_type_of_ris(kind),
    }


def _wos_citation(record: dict) -> dict:
    authors = record.get("author_full_name") or record.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    groups = record.get("group_authors") or []
    start, end = _first(record, "beginning_page"), _first(record, "ending_page")
    return {
        "authors": [" ".join(a.split()) for a in [*authors, *groups] if a and a.strip()],
        "title": _first(record, "document_title"),
        "year": _first(record, "publication_year"),
        "journal": _first(record, "publication_name"),
        "volume": _first(record, "volume"),
        "issue": _first(record, "issue"),
        "pages": f"{start}–{end}" if start and end and start != end else start,
        "publisher": _first(record, "publisher"),
        "doi": clean_doi(_first(record, "doi")),
        "abstract": _first(record, "abstract"),
        "publication_type": publication_type_of_wos(_first(record, "document_type"),
                                                    _first(record, "publication_type")),
    }


def _is_wos(text: str) -> bool:
    head = [line for line in text.splitlines()[:5] if line.strip()]
    return bool(head) and (head[0].startswith("FN ") or head[0].startswith("PT "))


def record_to_draft(record: dict, number: int, line: int, path: str, wos: bool,
                    problems: list[ImportProblem]) -> Draft | None:
    where = f"line {line}"
    name = f"record {number}"
    citation = _wos_citation(record) if wos else _ris_citation(record)
    citation = {k: v for k, v in citation.items() if v not in (None, "", [])}
    year_tag = "PY"
    year = citation.pop("year", None)
    if year is None:
        problems.append(ImportProblem(path, where, year_tag, f"{name} has no year (PY); a study record needs its"
                                      " publication year"))
        return None
    m = re.match(r"\s*(\d{4})", year)
    parsed = parse_year(m.group(1)) if m else None
    if parsed is None:
        problems.append(ImportProblem(path, where, year_tag, f"'{year}' is not a year ({name})"))
        return None
    citation["year"] = parsed[0]
    tags = {"authors": "AU", "title": "TI", "journal": "SO" if wos else "JO/T2", "doi": "DI" if wos else "DO",
            "url": "UR", "pages": "BP/EP" if wos else "SP/EP", "volume": "VL", "issue": "IS",
            "publisher": "PU" if wos else "PB", "abstract": "AB", "publication_type": "DT" if wos else "TY",
            "year": year_tag}
    locations = {"citation": (where, "")} | {f"citation.{k}": (where, v) for k, v in tags.items()}
    draft = Draft({"citation": citation}, path, where, name, locations)
    return draft if check_citation(draft, problems) else None


def parse_ris(data: bytes, path: str) -> tuple[list[Draft], list[ImportProblem]]:
    """One citation draft per RIS record, and a located problem for everything that cannot be read."""
    try:
        text = decode(data, "ris")
    except DecodeError as exc:
        return [], [ImportProblem(path, f"line {exc.line}" if exc.line else "", "", str(exc))]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    wos = _is_wos(text)
    reader = WosReader() if wos else RisReader()
    try:
        records = reader.parse(text)
    except Exception as exc:  # rispy trips over some malformed input; report, never crash
        line = reader._counted.number if hasattr(reader, "_counted") else None
        return [], [ImportProblem(path, f"line {line}" if line else "", "",
                                  f"cannot read this RIS file here ({exc.__class__.__name__}: {exc});"
                                  " is a line without a tag ('XX  - ') inside a record?")]
    problems: list[ImportProblem] = []
    start_tag, end_tag = ("PT", "ER") if wos else ("TY", "ER")
    if len(reader.starts) > len(records):
        problems.append(ImportProblem(path, f"line {reader.starts[len(records)]}", start_tag,
                                      f"this record has no end tag '{end_tag}  -'; the file may be cut short"))
    if not records and not problems:
        problems.append(ImportProblem(path, "", "", "no RIS records found (a record starts with 'TY  - ' and"
                                      " ends with 'ER  - ')"))
    drafts = [d for n, (record, line) in enumerate(zip(records, reader.starts), start=1)
              if (d := record_to_draft(record, n, line, path, wos, problems))]
    return drafts, in_file_order(problems)
