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


def ordered(facet, counts, selected, vocabulary, lang) -> list[FacetValue]:
    terms = vocabulary.get(facet, {})
    values = []
    for v, n in counts.items():
        term = terms.get(v)
        label = term[f"label_{lang}"] if term else v
        values.append(FacetValue(v, label, n, v in selected, term["depth"] if term else 0,
                                 term["parent"] if term else None))
    if facet in VOCABULARY_FACETS:
        paths = {v.value: [terms[p][f"label_{lang}"].lower() if p in terms else p
                           for p in (terms[v.value]["path"].split("/") if v.value in terms else [v.value])]
                 for v in values}
        return sorted(values, key=lambda v: paths[v.value])
    if facet in ("evidence_level", "decade"):
        return sorted(values, key=lambda v: v.value)
    if facet == "direction":
        return sorted(values, key=lambda v: (DIRECTIONS.index(v.value) if v.value in DIRECTIONS else 9, v.value))
    return sorted(values, key=lambda v: (-v.count, v.label.lower()))

