"""Citation pieces shared by the three readers: years, DOIs, titles, author names."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

YEAR = re.compile(r"(\d{4})([a-z])?")  # plausibility (not future, not before 1700) is the schema's
_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ET_AL = re.compile(r"[\s,]*\bet\.?\s*al\.?$", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:&|;|\band\b)\s*")
_INITIALS = re.compile(r"(?:[A-Z]\.?\s*-?\s*){1,4}")


def parse_year(text: str) -> tuple[int, str] | None:
    """``(1995, "a")`` for "1995a", ``(1990, "")`` for "1990"; None if not a year."""
    m = YEAR.fullmatch(text.strip())
    return (int(m.group(1)), m.group(2) or "") if m else None


def clean_doi(text: str | None) -> str | None:
    """A DOI as stored: without the resolver prefix, with its case kept."""
    if not text:
        return None
    doi = _DOI_PREFIX.sub("", text.strip()).strip().rstrip(".")
    return doi or None


def normalize_doi(text: str | None) -> str | None:
    """DOIs are case-insensitive: compare them lower-cased, without any prefix."""
    doi = clean_doi(text)
    return doi.lower() if doi else None


@lru_cache(maxsize=1 << 16)  # the same names and titles are folded again for every imported row
def fold(text: str) -> str:
    """Lower-case ASCII letters and digits with single spaces (accents, case, punctuation gone)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-zæøåß]+", " ", text).split())


def normalize_title(text: str | None) -> str | None:
    return fold(text) or None if text else None


def split_names(text: str) -> tuple[list[str], bool]:
    """Author names as a meta-analysis writes them.

    "Ferguson & Simes" → (["Ferguson", "Simes"], False); "Rosenthal et al" → (["Rosenthal"], True);
    "Smith, Jones and Lee" → three names; but "Davis, BH" is one name with its initials.
    """
    text = " ".join(text.split())
    et_al = bool(_ET_AL.search(text))
    text = _ET_AL.sub("", text)
    names: list[str] = []
    for piece in _AUTHOR_SPLIT.split(text):
        for part in (p.strip() for p in piece.split(",")):
            if not part:
                continue
            if names and names[-1] and "," not in names[-1] and _INITIALS.fullmatch(part):
                names[-1] = f"{names[-1]}, {part}"
            else:
                names.append(part)
    return names, et_al


def surname(author: str) -> str:
    """"Møller, Jens" → "Møller"; "Guerra" → "Guerra"; "World Health Organization" stays whole."""
    return author.split(",")[0].strip()


def study_name(citation: dict) -> str:
    """How a meta-analysis names a study: "Ferguson & Simes (1949)", "Rosenthal et al (1960)"."""
    authors = list(citation.get("authors") or [])
    name = " & ".join(authors) + (" et al" if citation.get("et_al") else "")
    if not name:
        name = citation.get("label") or citation.get("title") or ""
    year = citation.get("year")
    return f"{name} ({year})" if year else name


def authors_compatible(old: list[str], old_et_al: bool, new: list[str], new_et_al: bool) -> bool:
    """The shorter list is the longer one abbreviated: the same surnames in order, and the rest
    covered by "et al" or left out as a study label does ("Guerra (1990)" for Guerra & Slaby)."""
    short, long_, short_et_al = (old, new, old_et_al) if len(old) <= len(new) else (new, old, new_et_al)
    if any(fold(surname(a)) != fold(surname(b)) for a, b in zip(short, long_)):
        return False
    return len(short) == len(long_) or short_et_al or all("," not in a for a in short)
