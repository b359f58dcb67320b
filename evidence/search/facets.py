"""Filters and facet counts over the study cards of a result set.

A facet's values are the terms of its id field (:func:`field_name`), written from :func:`card_values`
so counts equal the cards': a filter is the union of a few postings lists, and each facet's
disjunctive counts are one pass over the field's postings.

Facets are counted disjunctively: the counts of one facet apply every other
facet's filter but not its own, so a reader sees what choosing another value
would give. Values within one facet are alternatives (OR); facets combine
with AND. Vocabulary terms (target groups, interventions, outcomes) are
indexed with their ancestors, so a parent's count is the number of studies of
it or any term below it (each study once); they are listed as a tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: facet name -> how the values are read from a study card
FACETS = ("intervention", "target_group", "outcome", "evidence_level", "design", "country", "direction", "decade")
VOCABULARY_FACETS = ("intervention", "target_group", "outcome")
DIRECTIONS = ("benefit", "unclear", "harm")
MAX_VALUES = 20  # values per facet in a URL
MAX_VALUE_LENGTH = 200
YEAR_RANGE = (1000, 2999)


@dataclass
class Filters:
    values: dict  # facet -> tuple of values
    year_from: int | None = None
    year_to: int | None = None

    def active(self) -> bool:
        return bool(self.values) or self.year_from is not None or self.year_to is not None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0
    parent: str | None = None


def _year(value) -> int | None:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return year if YEAR_RANGE[0] <= year <= YEAR_RANGE[1] else None


def make_filters(raw) -> tuple[Filters, list[str]]:
    """Filters from ``{name: value or [values]}``; unknown names are ignored, bad years reported."""
    raw = raw or {}
    values, bad = {}, []
    for name in FACETS:
        given = raw.get(name)
        if given is None:
            continue
        given = [given] if isinstance(given, (str, int)) else list(given)
        cleaned = []
        for v in given[:MAX_VALUES]:
            v = str(v).strip()[:MAX_VALUE_LENGTH]
            if v and v not in cleaned:
                cleaned.append(v)
        if cleaned:
            values[name] = tuple(cleaned)
    years = {}
    for name in ("year_from", "year_to"):
        given = raw.get(name)
        if isinstance(given, (list, tuple)):
            given = given[0] if given else None
        if given is None or str(given).strip() == "":
            continue
        years[name] = _year(given)
        if years[name] is None:
            bad.append(name)
    return Filters(values, years.get("year_from"), years.get("year_to")), bad


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

