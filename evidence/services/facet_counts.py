"""A facet's counts over a small result set, read from each kept document's values, not from its postings.

:meth:`evidence.search.store.Field.counts` counts a facet's values in one pass over all the facet's
postings, whatever the number of documents counted (at 100k studies, ~880k postings over the eight
facets, ~3 ms a search). Most searches keep a few thousand documents; for those, reading the kept
documents' own values costs less. :class:`Values` holds, per part of the index, a matrix of each
document's values (term number + 1; 0: none; a row as wide as the most values a document has), so a
facet's counts are one ``bincount`` of the kept documents' rows. Its answer, the counts and the order
of the values alike, is ``Field.counts``'s (each part's terms in term order, the delta's after the
base's), and it asks ``Field.counts`` itself when the kept documents' rows hold more cells than the
postings, or when a document has more than :data:`MAX_VALUES` values of the facet.
"""

from __future__ import annotations

import numpy as np

#: The most values of one facet a document may have for the matrix (at 100k studies: 6, of outcome).
MAX_VALUES = 8


class Values:
    """Each document's values of one facet (a :class:`~evidence.search.store.Field`), as matrices."""

    def __init__(self, field):
        self.field = field
        self.postings = sum(len(part.docs) for part in field.parts)
        self.parts: list | None = []
        for part in field.parts:
            docs = np.asarray(part.docs, dtype=np.int64)
            per_doc = np.bincount(docs, minlength=part.stop - part.start)
            width = int(per_doc.max()) if len(per_doc) else 0
            if width > MAX_VALUES or part.terms.n >= np.iinfo(np.uint16).max:
                self.parts = None  # (Field.counts answers every search)
                return
            order = np.argsort(docs, kind="stable")
            slot = np.arange(len(docs)) - np.repeat(np.cumsum(per_doc) - per_doc, per_doc)  # place in its row
            rows = np.zeros((len(per_doc), max(width, 1)), dtype=np.uint16)
            rows[docs[order], slot] = np.repeat(np.arange(1, part.terms.n + 1), np.diff(part.offsets))[order]
            names = [part.terms[i].decode("utf-8") for i in range(part.terms.n)]
            self.parts.append((part, rows, names))

    def counts(self, within: np.ndarray, docs: np.ndarray | None = None) -> dict[str, int]:
        """``Field.counts(within)``: value -> how many of the documents ``within`` (a mask over the live
        documents; ``docs``: its ``flatnonzero``, when the caller has it) hold it."""
        if self.parts is None:
            return self.field.counts(within)
        docs = np.flatnonzero(within) if docs is None else docs
        if len(docs) * sum(rows.shape[1] for _, rows, _ in self.parts) > self.postings:
            return self.field.counts(within)
        out: dict[str, int] = {}
        for part, rows, names in self.parts:
            mine = docs[(docs >= part.start) & (docs < part.stop)] - part.start if len(self.parts) > 1 else docs
            per_term = np.bincount(rows[mine].ravel(), minlength=len(names) + 1)[1:]
            for i in np.flatnonzero(per_term).tolist():
                out[names[i]] = out.get(names[i], 0) + int(per_term[i])
        return out
