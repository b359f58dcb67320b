"""What BibTeX and RIS readers share: publication types and checking a citation early."""

from __future__ import annotations

import copy

from marshmallow import ValidationError

from evidence.records.schemas import CitationSchema
from evidence.records.validate import flatten

from .draft import Draft
from .problems import ImportProblem

_BIBTEX_TYPES = {
    "article": "journal-article",
    "incollection": "book-chapter", "inbook": "book-chapter",
    "techreport": "report", "report": "report",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "inproceedings": "conference-paper", "conference": "conference-paper",
    "online": "web-page", "electronic": "web-page", "www": "web-page",
}
_RIS_TYPES = {
    "JOUR": "journal-article", "JFULL": "journal-article", "EJOUR": "journal-article", "MGZN": "journal-article",
    "NEWS": "journal-article",
    "CHAP": "book-chapter", "ECHAP": "book-chapter",
    "RPRT": "report", "GOVDOC": "report",
    "THES": "thesis",
    "CONF": "conference-paper", "CPAPER": "conference-paper",
    "ELEC": "web-page", "WEB": "web-page", "BLOG": "web-page",
}
#: Web of Science document types (DT) and publication types (PT).
_WOS_TYPES = {"article": "journal-article", "review": "journal-article", "proceedings paper": "conference-paper",
              "book chapter": "book-chapter", "meeting abstract": "conference-paper", "editorial material": "other"}


def publication_type_of_bibtex(entry_type: str) -> str:
    return _BIBTEX_TYPES.get(entry_type.lower(), "other")


def publication_type_of_ris(tag: str | None) -> str:
    return _RIS_TYPES.get((tag or "").strip().upper(), "other")


def publication_type_of_wos(document_type: str | None, publication_type: str | None) -> str:
    if document_type:
        first = document_type.split(";")[0].strip().lower()
        if first in _WOS_TYPES:
            return _WOS_TYPES[first]
    return {"J": "journal-article", "C": "conference-paper"}.get((publication_type or "").strip().upper(), "other")


def check_citation(draft: Draft, problems: list[ImportProblem]) -> bool:
    """Check the draft's citation with the record schema; located problems when it fails."""
    try:
        CitationSchema().load(copy.deepcopy(draft.record["citation"]))
    except ValidationError as exc:
        for field, message in flatten(exc.messages):
            where, column = draft.locate(f"citation.{field}")
            problems.append(ImportProblem(draft.path, where, column, f"{message} (entry '{draft.name}')"))
        return False
    return True
