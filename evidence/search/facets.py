"""Facet masks and counts over the study cards of a result set (the filters are read in
:mod:`evidence.services.filters`).

A facet's values are the terms of its id field (:func:`field_name`), written from :func:`card_values`
so counts equal the cards': a filter is the union of a few postings lists, and each facet's
disjunctive counts are one pass over the field's postings.

Facets are counted disjunctively: the counts of one facet apply every other facet's filter but not
its own, so a reader sees what choosing another value would give. Values within one facet are
alternatives (OR); facets combine with AND. Vocabulary terms are indexed with their ancestors, so a
parent's count is the number of studies of it or any term below it (each study once).
"""

from __future__ import annotations

import numpy as np

#: facet name -> how the values are read from a study card
FACETS = ("intervention", "target_group", "outcome", "evidence_level", "design", "country", "direction", "decade")
VOCABULARY_FACETS = ("intervention", "target_group", "outcome")
DIRECTIONS = ("benefit", "unclear", "harm")


def field_name(facet: str) -> str:
    """The index's id field of the facet's values (one term per value)."""
    return f"facet_{facet}"


def mask(files, facet: str, wanted) -> np.ndarray:
    """The documents of the index files with any of the ``wanted`` values of ``facet``."""
    field = files.fields[field_name(facet)]
    out = np.zeros(files.size, dtype=bool)
    for value in wanted:
        out[field.postings(value.encode("utf-8"))[0]] = True
    return out


def year_mask(years: np.ndarray, year_from, year_to) -> np.ndarray | None:
    """The documents of the years (-1: unknown, never in a range), or None when no bound is given."""
    if year_from is None and year_to is None:
        return None
    m = years >= 0
    if year_from is not None:
        m &= years >= year_from
    if year_to is not None:
        m &= years <= year_to
    return m


def card_values(card: dict, facet: str) -> list[str]:
    if facet in ("intervention", "target_group", "outcome", "direction"):
        return card.get(facet) or []
    if facet == "evidence_level":
        return [str(card["evidence_level"])]
    if facet == "decade":
        return [str(card["year"] // 10 * 10)] if card.get("year") is not None else []
    value = card.get(facet)
    return [value] if value else []
