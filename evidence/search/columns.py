"""Facet filters, facet counts and sort keys over one index version's files (:mod:`.store`).

A facet's values are the terms of its id field (:func:`~.facets.field_name`), written from
:func:`~.facets.card_values` so counts equal the cards': a filter is the union of a few
postings lists, and each facet's disjunctive counts are one pass over the field's postings.
The sort keys (``year``, -1 when unknown; ``strength``; ``level``; ``effect``, NaN when
unknown) are the parts' memory-mapped columns, ``id_rank`` the rank of each document's id
(to break ties as the cards' sort did) and ``live`` False for the base documents a delta
hides. Arrays are indexed by document number, as the postings number documents.
"""

from __future__ import annotations

import numpy as np

from .facets import field_name
from .store import IndexFiles


class Columns:
    """The facet columns and sort keys of one index version."""

    def __init__(self, files: IndexFiles):
        self.files = files
        self.n = files.size
        self.year, self.strength = files.keys["year"], files.keys["strength"]
        self.level, self.effect = files.keys["level"], files.keys["effect"]
        self.live = np.ones(self.n, dtype=bool)
        self.live[files.hidden] = False
        self.id_rank = np.empty(self.n, dtype=np.int32)
        self.id_rank[files.id_order()] = np.arange(self.n, dtype=np.int32)

    def mask(self, facet: str, wanted) -> np.ndarray:
        """Documents with any of the ``wanted`` values of ``facet``."""
        field = self.files.fields[field_name(facet)]
        out = np.zeros(self.n, dtype=bool)
        for value in wanted:
            out[field.postings(value.encode("utf-8"))[0]] = True
        return out

    def counts(self, facet: str, within: np.ndarray) -> dict[str, int]:
        """value -> number of documents in ``within`` (live documents) that have it."""
        return self.files.fields[field_name(facet)].counts(within)

    def year_mask(self, year_from, year_to) -> np.ndarray | None:
        if year_from is None and year_to is None:
            return None
        m = self.year >= 0
        if year_from is not None:
            m &= self.year >= year_from
        if year_to is not None:
            m &= self.year <= year_to
        return m
