"""Which existing study record is the study in an import file?

In order, the first rule that finds a record decides:

1. the same DOI (normalised: no resolver prefix, case ignored);
2. the same title (case, accents and punctuation ignored) and the same year;
3. the same BibTeX key (``citation.bibkey``), a link a curator can set by hand;
4. for effect data only: the same source (``--source``) and the same study name
   ("Guerra (1990)") — the same extraction imported again.

Records whose DOIs (or titles) differ from the import's are never the same study.
When a rule finds several records, the study name, design and country narrow them;
if that still leaves several, the import stops and asks for a DOI.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from .citation import authors_compatible, fold, normalize_doi, normalize_title, study_name, surname


@dataclass
class Existing:
    """A study record already in the data folder, as written in its file."""

    path: Path
    raw: dict

    @property
    def id(self) -> str:
        return str(self.raw.get("id") or self.path.stem)


@dataclass
class Match:
    record: Existing | None = None
    rule: str = ""
    ambiguous: list[Existing] = field(default_factory=list)
    # near-duplicates: same first author and year, or a similar title, with nothing to confirm them
    similar: list[Existing] = field(default_factory=list)
    why: dict[Path, str] = field(default_factory=dict)  # near-duplicate's path -> what they share

#: Titles at least this alike (difflib's ratio over folded titles) make two records near-duplicates.
SIMILAR_TITLE = 0.9


def name_of(record: dict) -> str:
    """How the source names the study: kept in descriptors when the citation cannot say it."""
    descriptors = (record.get("provenance") or {}).get("descriptors") or {}
    name = descriptors.get("study")
    return str(name) if isinstance(name, str) and name else study_name(record.get("citation") or {})


def _citation(record: dict) -> dict:
    return record.get("citation") or {}


def _differ(a: dict, b: dict) -> bool:
    """Both records say who they are, and they say different things."""
    da, db = normalize_doi(_citation(a).get("doi")), normalize_doi(_citation(b).get("doi"))
    if da and db and da != db:
        return True
    ta, tb = normalize_title(_citation(a).get("title")), normalize_title(_citation(b).get("title"))
    return bool(ta and tb and ta != tb)


def _stored_name(record: dict) -> str | None:
    return ((record.get("provenance") or {}).get("descriptors") or {}).get("study")


def _same_study_name(a: dict, b: dict) -> bool:
    """The same name; or, when neither keeps its own, the same year and compatible authors
    (so "Guerra (1990)" is still Guerra & Slaby (1990) after a BibTeX import filled in the names)."""
    if fold(name_of(a)) == fold(name_of(b)):
        return True
    if _stored_name(a) or _stored_name(b):
        return False
    ca, cb = _citation(a), _citation(b)
    return (bool(ca.get("authors")) and bool(cb.get("authors")) and ca.get("year") == cb.get("year")
            and authors_compatible(ca["authors"], bool(ca.get("et_al")), cb["authors"], bool(cb.get("et_al"))))


def _narrow(draft: dict, candidates: list[Existing]) -> list[Existing]:
    tests = [
        lambda r: _same_study_name(r, draft),
        lambda r: (r.get("design") or {}).get("type") == (draft.get("design") or {}).get("type"),
        lambda r: fold(str((r.get("design") or {}).get("country") or ""))
        == fold(str((draft.get("design") or {}).get("country") or "")),
    ]
    for test in tests:
        if len(candidates) <= 1 or "design" not in draft:
            break
        narrowed = [c for c in candidates if test(c.raw)]
        candidates = narrowed or candidates
    return candidates


class Index:
    """The existing records by DOI, title and year, BibTeX key, source and first author and year.

    Built once per import, so matching a row costs a few look-ups instead of a
    pass over every record (which made an import's time grow with rows × records).
    Each record's folded title, DOI and first author are worked out here once, not
    again for every imported row (that was most of a large import's time).
    """

    def __init__(self, existing: list[Existing]):
        self.existing = existing
        self.by: dict[tuple, list[Existing]] = {}
        self.keys: list[_Keys] = []
        self.titled: list[_Keys] = []  # in file order
        self.by_author_year: dict[tuple, list[_Keys]] = {}  # (folded first surname, year), in file order
        for position, e in enumerate(existing):
            cit = _citation(e.raw)
            doi, title, authors = normalize_doi(cit.get("doi")), normalize_title(cit.get("title")), cit.get("authors")
            keys = [("doi", doi), ("title", title, cit.get("year")), ("bibkey", cit.get("bibkey")),
                    ("source", fold(str((e.raw.get("provenance") or {}).get("source") or "")))]
            if authors:
                keys.append(("author", fold(surname(authors[0])), cit.get("year")))
            for key in keys:
                if key[1]:
                    self.by.setdefault(key, []).append(e)
            known = _Keys(position, e, doi, title, cit.get("title"))
            self.keys.append(known)
            if title:
                self.titled.append(known)
            if authors:  # an empty folded surname counts too: it equals another empty one
                self.by_author_year.setdefault((fold(surname(authors[0])), cit.get("year")), []).append(known)

    def get(self, *key) -> list[Existing]:
        return self.by.get(key, []) if key[1] else []


@dataclass(frozen=True, slots=True)
class _Keys:
    """What near-duplicate search compares of one existing record, folded once."""

    position: int  # in file order
    entry: Existing
    doi: str | None
    title: str | None  # folded
    title_as_written: str | None


def find(draft: dict, existing, *, by_source: bool) -> Match:
    """The existing record ``draft`` (a record without an id) describes, if any.

    ``existing``: an :class:`Index` (or a list of records, indexed here).
    """
    index = existing if isinstance(existing, Index) else Index(existing)
    cit = _citation(draft)
    doi = normalize_doi(cit.get("doi"))
    title = normalize_title(cit.get("title"))
    source = fold(str((draft.get("provenance") or {}).get("source") or ""))

    def pool(candidates: list[Existing]) -> list[Existing]:
        """Candidates in file order, without those whose DOI or title says they are another study."""
        return [e for e in candidates if not _differ(draft, e.raw)]

    rules = [
        ("DOI", doi and pool(index.get("doi", doi))),
        ("title and year", title and cit.get("year") and pool(index.get("title", title, cit.get("year")))),
        ("BibTeX key", cit.get("bibkey") and pool(index.get("bibkey", cit.get("bibkey")))),
        ("source and study name", by_source and source and [
            e for e in pool(index.get("source", source)) if _same_study_name(e.raw, draft)]),
    ]
    for rule, found in rules:
        if found:
            found = _narrow(draft, found)
            if len(found) == 1:
                return Match(found[0], rule)
            return Match(None, rule, ambiguous=found)
    near = near_duplicates(draft, index)
    return Match(similar=[e for e, _ in near], why={e.path: why for e, why in near})


def near_duplicates(draft: dict, index: Index) -> list[tuple[Existing, str]]:
    """Records that may be the same study as ``draft`` though no rule above confirms it, with the reason:
    the same first author and year, or a similar title (case, accents and punctuation ignored).
    A record with another DOI is never one (titles that differ a little are what a near-duplicate
    looks like: only another DOI rules one out).

    When both are titled the titles decide (one author's two papers of a year differ), so only
    the titled records are compared by title, and the first author and year are looked up.
    difflib's cheap upper bounds (``real_quick_ratio``, ``quick_ratio``) rule out most titles
    before the exact ratio, so an import stays near-linear in its rows.
    """
    cit = _citation(draft)
    doi = normalize_doi(cit.get("doi"))
    authors = cit.get("authors") or []
    title = normalize_title(cit.get("title"))
    found: list[tuple[int, Existing, str]] = []
    if title:
        matcher = difflib.SequenceMatcher(None, "", title)
        for known in index.titled:
            if doi and known.doi not in (None, doi):
                continue
            matcher.set_seq1(known.title)
            if (matcher.real_quick_ratio() >= SIMILAR_TITLE and matcher.quick_ratio() >= SIMILAR_TITLE
                    and matcher.ratio() >= SIMILAR_TITLE):
                found.append((known.position, known.entry, f"a similar title ('{known.title_as_written}')"))
    if authors:
        for known in index.by_author_year.get((fold(surname(authors[0])), cit.get("year")), ()):
            if (title and known.title) or (doi and known.doi not in (None, doi)):
                continue  # both titled: the titles have decided
            found.append((known.position, known.entry,
                          f"the same first author and year ({surname(authors[0])}, {cit.get('year')})"))
    return [(entry, why) for _position, entry, why in sorted(found, key=lambda f: f[0])]
