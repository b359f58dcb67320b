"""Where a term's postings come from: the postings columns, Whoosh's blocks, and a cache.

One :class:`TermSource` per engine (per thread); :class:`Shared` holds what the threads of a process
share for one index version. A term of a field the postings columns hold (:mod:`.postings`) is read
from them for the segments they cover; anything else is read from Whoosh's blocks (:mod:`.blocks`)
and cached in a byte-bounded LRU as int32 documents and float32 weights.
"""

from __future__ import annotations

import threading

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length

from .blocks import decode_positions, read_all
from .matches import NONE

_BYTE_TO_LENGTH = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)


class Shared:
    """What the threads of one process share for one index version: postings and field lengths."""

    def __init__(self, lru, columns=None):
        self.postings = lru  # (field, bytes) -> (docs int32, weights float32); (field, bytes, "positions") -> keys
        self.columns = columns  # the index's postings columns (:mod:`.postings`), or None
        self.lengths: dict[str, np.ndarray] = {}
        self.lock = threading.Lock()


class TermSource:
    """A term's postings, positions and field lengths for one searcher's segments."""

    def __init__(self, reader, schema, shared: Shared):
        self.reader = reader
        self.schema = schema
        self.leaves = list(reader.leaf_readers())
        self.shared = shared
        # the leading segments the postings columns hold; later ones (incremental updates) are read from Whoosh
        self.covered = shared.columns.covered(self.leaves) if shared.columns is not None else 0

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The term's document numbers (sorted) and weights."""
        held = self.shared.columns.get(fieldname, btext) if self.covered else None
        if held is None:  # a field the columns do not hold, or no columns: Whoosh's blocks, cached
            return self._cached(fieldname, btext, self.leaves)
        docs, weights = held[0].astype(np.int64), held[1].astype(np.float64)
        if self.covered == len(self.leaves):
            return docs, weights
        more_docs, more_weights = self._cached(fieldname, btext, self.leaves[self.covered:])
        return np.concatenate([docs, more_docs]), np.concatenate([weights, more_weights])

    def positions(self, fieldname: str, btext: bytes, within: np.ndarray) -> np.ndarray:
        """The term's occurrences in the documents ``within`` (sorted; the term occurs in each) as
        ``doc << 32 | position``, sorted."""
        if self.covered:
            split = int(np.searchsorted(within, self.shared.columns.documents))
            held = self.shared.columns.positions(fieldname, btext, within[:split])
            if held is not None:
                if split == len(within):
                    return held
                more = self._cached_positions(fieldname, btext, self.leaves[self.covered:])
                return np.concatenate([held, more[np.isin(more >> 32, within[split:])]])
        every = self._cached_positions(fieldname, btext, self.leaves)
        return every[np.isin(every >> 32, within)]

    def lengths(self, fieldname: str) -> np.ndarray:
        lengths = self.shared.lengths.get(fieldname)
        if lengths is None:
            parts = []
            for leaf, _ in self.leaves:
                count = leaf.doc_count_all()
                column = leaf._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
                if column is None:  # Whoosh's searcher.doc_field_length default
                    parts.append(np.ones(count))
                    continue
                # one unsigned byte per document (FixedBytesColumn of "B"); documents past the
                # column's end have the default, 0
                raw = np.zeros(count, dtype=np.uint8)
                stored = min(column._count, count)
                raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
                parts.append(_BYTE_TO_LENGTH[raw])
            lengths = np.concatenate(parts) if parts else np.zeros(0)
            with self.shared.lock:
                self.shared.lengths[fieldname] = lengths
        return lengths

    def _cached(self, fieldname: str, btext: bytes, leaves) -> tuple[np.ndarray, np.ndarray]:
        key = (fieldname, btext, leaves[0][1] if leaves else 0)  # the segments from this document on
        hit = self.shared.postings.get(key)
        if hit is None:
            docs, weights, _ = self._read(fieldname, btext, leaves, values=False)
            hit = _compact(docs, weights)
            self.shared.postings.put(key, hit, weight=hit[0].nbytes + hit[1].nbytes)
        return hit[0].astype(np.int64), hit[1].astype(np.float64)

    def _cached_positions(self, fieldname: str, btext: bytes, leaves) -> np.ndarray:
        key = (fieldname, btext, leaves[0][1] if leaves else 0, "positions")
        hit = self.shared.postings.get(key)
        if hit is None:
            docs, _, values = self._read(fieldname, btext, leaves, values=True)
            doc_of, positions = decode_positions(values, self.schema[fieldname].format.decode_positions)
            hit = (docs[doc_of] << 32) | positions
            self.shared.postings.put(key, hit, weight=hit.nbytes)
        return hit

    def _read(self, fieldname: str, btext: bytes, leaves, values: bool):
        """Every posting of the term in ``leaves`` (``(segment reader, base)``), from Whoosh's blocks."""
        fmt = self.schema[fieldname].format
        docs, weights, vals = [], [], []
        for leaf, base in leaves:
            if (fieldname, btext) not in leaf:
                continue
            d, w, v = read_all(leaf._terms.matcher(fieldname, btext, fmt), values)
            docs.append(d + base)
            weights.append(w)
            vals.extend(v)
        return (np.concatenate(docs) if docs else NONE,
                np.concatenate(weights) if weights else np.zeros(0), vals)

def _compact(docs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # half the cache per posting; exact: weights are stored as float32 by Whoosh
    return docs.astype(np.int32), weights.astype(np.float32)
