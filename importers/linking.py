"""``evidence import csv --bib refs.bib``: give each study in the table its full citation.

A row is linked to a reference by its ``bibkey`` column (the entry key), else by its
``doi`` column, else by first author and year when exactly one reference fits.
"""

from __future__ import annotations

import difflib

from .citation import fold, normalize_doi, surname
from .draft import Draft
from .problems import ImportProblem


def _key(citation: dict) -> tuple[str, int | None] | None:
    authors = citation.get("authors") or []
    return (fold(surname(authors[0])), citation.get("year")) if authors else None


def link(drafts: list[Draft], references: list[Draft], bib_name: str,
         problems: list[ImportProblem]) -> list[str]:
    """Fill the drafts' citations from their references; notices for references no row uses."""
    by_key = {r.record["citation"].get("bibkey"): r for r in references if r.record["citation"].get("bibkey")}
    by_doi = {normalize_doi(r.record["citation"].get("doi")): r for r in references
              if r.record["citation"].get("doi")}
    by_author: dict[tuple, list[Draft]] = {}
    for r in references:
        if (k := _key(r.record["citation"])) is not None:
            by_author.setdefault(k, []).append(r)
    used: set[int] = set()
    for draft in drafts:
        cit = draft.record["citation"]
        where, column = draft.locate("citation.bibkey")
        if cit.get("bibkey"):
            ref = by_key.get(cit["bibkey"])
            if ref is None:
                close = difflib.get_close_matches(cit["bibkey"], list(by_key), n=3, cutoff=0.6)
                hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
                problems.append(ImportProblem(draft.path, where, column,
                                              f"no entry '{cit['bibkey']}' in {bib_name}{hint}"))
                continue
            how = f"bibkey '{cit['bibkey']}'"
        elif cit.get("doi") and normalize_doi(cit["doi"]) in by_doi:
            ref, how = by_doi[normalize_doi(cit["doi"])], "DOI"
        elif (k := _key(cit)) is not None and len(by_author.get(k, [])) == 1:
            ref, how = by_author[k][0], "first author and year"
        else:
            continue
        used.add(id(ref))
        bib = ref.record["citation"]
        bib_where = f"{bib_name}:{ref.where}"
        if cit.get("year") is not None and bib.get("year") != cit["year"]:
            w, c = draft.locate("citation.year")
            problems.append(ImportProblem(draft.path, w, c, f"{cit['year']} here, but {bib.get('year')} in entry"
                                          f" '{ref.name}' ({bib_where}), linked by {how}"))
            continue
        mine, theirs = _key(cit), _key(bib)
        if mine and theirs and mine[0] != theirs[0]:
            w, c = draft.locate("citation.authors")
            problems.append(ImportProblem(draft.path, w, c, f"first author '{cit['authors'][0]}' here, but"
                                          f" '{bib['authors'][0]}' in entry '{ref.name}' ({bib_where}),"
                                          f" linked by {how}"))
            continue
        # The reference gives the citation; what only the row knows (its DOI, a label) is kept.
        merged = dict(bib)
        for key, value in cit.items():
            if key not in ("authors", "et_al", "year") and value and not merged.get(key):
                merged[key] = value
        if merged.get("authors"):
            merged.pop("label", None)
        draft.record["citation"] = merged
    return [f"{bib_name}:{r.where}: entry '{r.name}' matches no study in the table; not used"
            for r in references if id(r) not in used]
