"""Facet values as the lists show them: labelled in the reader's language from the vocabulary, the
vocabulary's facets as a tree (by their labels' path), levels and decades in order, directions as
benefit, unclear, harm, and the others by count."""

from __future__ import annotations

from dataclasses import dataclass

from ..search.facets import DIRECTIONS, VOCABULARY_FACETS


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0
    parent: str | None = None


def labelled(vocabulary: dict, lang: str) -> dict:
    """facet -> value -> (label, depth, parent, the path's labels the tree is sorted by) of every vocabulary
    term in ``lang``: what :func:`ordered` reads of a term, made once per index version and language."""
    return {facet: {v: (t[f"label_{lang}"], t["depth"], t["parent"],
                        [terms[p][f"label_{lang}"].lower() if p in terms else p for p in t["path"].split("/")])
                    for v, t in terms.items()} for facet, terms in vocabulary.items()}


def ordered(facet, counts, selected, table: dict) -> list[FacetValue]:
    """The facet's values with their counts, labelled and in the list's order (``table``: :func:`labelled`
    of the index's vocabulary in the page's language)."""
    known = table.get(facet, {})
    values, paths = [], {}
    for v, n in counts.items():
        term = known.get(v)
        values.append(FacetValue(v, term[0], n, v in selected, term[1], term[2]) if term else
                      FacetValue(v, v, n, v in selected, 0, None))
        paths[v] = term[3] if term else [v]
    if facet in VOCABULARY_FACETS:
        return sorted(values, key=lambda v: paths[v.value])
    if facet in ("evidence_level", "decade"):
        return sorted(values, key=lambda v: v.value)
    if facet == "direction":
        return sorted(values, key=lambda v: (DIRECTIONS.index(v.value) if v.value in DIRECTIONS else 9, v.value))
    return sorted(values, key=lambda v: (-v.count, v.label.lower()))
