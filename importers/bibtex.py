"""Read BibTeX (Zotero, Mendeley, EndNote, JabRef, Google Scholar) into citation drafts.

bibtexparser 2 does the parsing; its middlewares resolve @string macros, split
co-authors and name parts, and decode LaTeX (``M{\\o}ller`` → Møller). Names are split
*before* decoding, so a corporate author in braces, ``{World Health Organization}``,
stays one name. Every failed block (an unclosed brace, a duplicate key) is reported
with its line.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import bibtexparser
from bibtexparser import middlewares as mw
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
)

from .citation import clean_doi, parse_year
from .draft import Draft
from .problems import ImportProblem, in_file_order
from .references import check_citation, publication_type_of_bibtex
from .text import DecodeError, decode

#: BibTeX fields → citation fields (the first one present wins).
FIELDS = {
    "title": ("title",),
    "journal": ("journal", "journaltitle"),
    "volume": ("volume",),
    "issue": ("number", "issue"),
    "pages": ("pages",),
    "publisher": ("publisher", "institution", "school", "organization"),
    "url": ("url",),
    "abstract": ("abstract",),
}


class _LowerCaseKeys(mw.BlockMiddleware):
    """Field keys in lower case ("Author" → "author"); the same field twice is a failed block."""

    def transform_entry(self, entry: Entry, library):
        keys = [f.key.lower() for f in entry.fields]
        twice = {k for k in keys if keys.count(k) > 1}
        if twice:
            return DuplicateFieldKeyBlock(twice, entry)
        for f in entry.fields:
            f.key = f.key.lower()
        return entry


class _LatexDecoding(mw.LatexDecodingMiddleware):
    """LaTeX decoding that also reaches the name parts of co-author lists."""

    def transform_entry(self, entry: Entry, library):
        errors: list[str] = []
        for field in entry.fields:
            if isinstance(field.value, list):
                for parts in field.value:
                    for attr in ("first", "von", "last", "jr"):
                        setattr(parts, attr, self._transform_all_strings(getattr(parts, attr), errors))
        errors = [e for e in errors if e]
        if errors:
            return MiddlewareErrorBlock(entry, ValueError("; ".join(errors)))
        return super().transform_entry(entry, library)


def _stack():
    return [
        mw.ResolveStringReferencesMiddleware(allow_inplace_modification=True),
        mw.RemoveEnclosingMiddleware(allow_inplace_modification=True),
        _LowerCaseKeys(allow_inplace_modification=True),
        mw.SeparateCoAuthors(allow_inplace_modification=True),
        mw.SplitNameParts(allow_inplace_modification=True),
        _LatexDecoding(allow_inplace_modification=True),
    ]


@contextmanager
def _quiet():
    """bibtexparser logs each failed block; they are reported as problems instead."""
    logger = logging.getLogger("bibtexparser")
    handler = logging.NullHandler()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _line(block) -> str:
    return f"line {block.start_line + 1}" if block.start_line is not None else ""


def _failure(block: ParsingFailedBlock) -> tuple[str, str]:
    """(field, message) for a block bibtexparser could not read."""
    if isinstance(block, DuplicateBlockKeyBlock):
        first = block.previous_block.start_line
        at = f" (the first is on line {first + 1})" if first is not None else ""
        return "", f"duplicate entry key '{block.key}'{at}: give each entry its own key"
    if isinstance(block, DuplicateFieldKeyBlock):
        key = getattr(block.ignore_error_block, "key", "?")
        return ", ".join(sorted(block.duplicate_keys)), f"entry '{key}' has this field more than once"
    if isinstance(block, MiddlewareErrorBlock):
        key = getattr(block.ignore_error_block, "key", "?")
        return "", f"entry '{key}' cannot be read: {block.error}"
    error = block.error
    if isinstance(error, BlockAbortedException):
        reason = " ".join(str(error.abort_reason).split())
        m = re.match(r"\s*@\w+\s*[{(]\s*([^,\s{}()]+)\s*,", block.raw or "")
        entry = f"entry '{m.group(1)}'" if m else "this entry"
        return "", (f"{entry} is broken and was not read ({reason}); look for an unclosed brace"
                    " '{' or quote '\"'")
    return "", f"this block cannot be read ({error.__class__.__name__}: {error})"


def _name(parts) -> str:
    last = " ".join(parts.von + parts.last).strip()
    first = " ".join(parts.first).strip()
    jr = " ".join(parts.jr).strip()
    return ", ".join(p for p in (last, jr, first) if p) if first else " ".join(p for p in (last, jr) if p)


def _text(value) -> str:
    return " ".join(str(value).split())


def entry_to_draft(entry: Entry, path: str, problems: list[ImportProblem]) -> Draft | None:
    where = _line(entry)
    fields = entry.fields_dict
    locations = {"citation": (where, "")}
    citation: dict = {"bibkey": entry.key, "publication_type": publication_type_of_bibtex(entry.entry_type)}
    locations["citation.bibkey"] = (where, "key")
    locations["citation.publication_type"] = (where, f"@{entry.entry_type}")
    names_field = "author" if "author" in fields else "editor" if "editor" in fields else None
    if names_field:
        names = fields[names_field].value if isinstance(fields[names_field].value, list) else []
        authors = [_text(_name(n)) for n in names]
        citation["et_al"] = any(a.lower() == "others" for a in authors)
        citation["authors"] = [a for a in authors if a and a.lower() != "others"]
        locations["citation.authors"] = locations["citation.et_al"] = (_line(fields[names_field]), names_field)
    for target, keys in FIELDS.items():
        key = next((k for k in keys if k in fields and _text(fields[k].value)), None)
        if key:
            citation[target] = _text(fields[key].value)
            locations[f"citation.{target}"] = (_line(fields[key]), key)
    if "doi" in fields:
        citation["doi"] = clean_doi(_text(fields["doi"].value))
        locations["citation.doi"] = (_line(fields["doi"]), "doi")
    year_key = "year" if "year" in fields else "date" if "date" in fields else None
    if year_key is None:
        problems.append(ImportProblem(path, where, "year", f"entry '{entry.key}' has no year; a study record needs"
                                      " its publication year"))
        return None
    text = _text(fields[year_key].value)
    parsed = parse_year(text[:4] if year_key == "date" else text)
    if parsed is None:
        problems.append(ImportProblem(path, _line(fields[year_key]), year_key,
                                      f"'{text}' is not a year (entry '{entry.key}')"))
        return None
    citation["year"] = parsed[0]
    locations["citation.year"] = (_line(fields[year_key]), year_key)
    draft = Draft({"citation": citation}, path, where, entry.key, locations)
    return draft if check_citation(draft, problems) else None


def parse_bibtex(data: bytes, path: str) -> tuple[list[Draft], list[ImportProblem]]:
    """One citation draft per entry, and a located problem for everything that cannot be read."""
    try:
        text = decode(data, "bibtex")
    except DecodeError as exc:
        return [], [ImportProblem(path, f"line {exc.line}" if exc.line else "", "", str(exc))]
    try:
        with _quiet():
            library = bibtexparser.parse_string(text, parse_stack=_stack())
    except Exception as exc:  # bibtexparser gives up on some malformed input; report, never crash
        return [], [ImportProblem(path, "", "", f"bibtexparser cannot read this file"
                                  f" ({exc.__class__.__name__}: {exc})")]
    problems: list[ImportProblem] = []
    for block in library.failed_blocks:
        field, message = _failure(block)
        problems.append(ImportProblem(path, _line(block), field, message))
    drafts = [d for entry in library.entries if (d := entry_to_draft(entry, path, problems))]
    if not library.entries and not problems:
        problems.append(ImportProblem(path, "", "", "no BibTeX entries found (an entry starts with @article{key, …)"))
    return drafts, in_file_order(problems)
