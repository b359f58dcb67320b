"""Postings columns: the free-text fields' postings as flat numpy arrays, written with the index.

Whoosh stores a term's postings as pickled, zlib-compressed blocks of 128;
reading one block costs ~50 µs in Python, so a cold search for a frequent
word at 20k studies spent most of its time unpickling (a word's three fields:
~60,000 postings, ~10 ms). These files hold the same postings — read back
from the committed Whoosh index, so they are Whoosh's by construction — as
arrays, memory-mapped by every worker (the pages are shared):

- per field of :data:`FIELDS`: ``<field>.terms`` (the term bytes, sorted,
  concatenated) with ``<field>.term_offsets`` (int64, one more than terms),
  ``<field>.offsets`` (int64: where each term's postings start) and
  ``<field>.docs`` (int32 document numbers, ascending per term),
  ``<field>.weights`` (float32, as Whoosh stores them — left empty when
  they equal the counts, as they do for a ``Positions`` field without a
  boost), ``<field>.counts`` (positions per posting), ``<field>.positions``
  (per posting in order; both in the narrowest unsigned type that holds
  them) and ``<field>.pos_offsets`` (int64: where each term's positions
  start);
- ``postings.json``: the format version, the fields whose weights are their
  counts, and the segments covered, as
  ``[segment id, documents]`` in index order. A reader uses the files for
  exactly those leading segments and Whoosh's own postings for any segment
  added later by an incremental update (see :mod:`.engine`).

"""

from __future__ import annotations

import bisect
import json
import os
from pathlib import Path

import numpy as np

from .blocks import decode_positions, read_all
from .schema import DEFAULT_FIELDS

DIRNAME = "postings"
VERSION = 1
FIELDS = tuple(DEFAULT_FIELDS)
_MANIFEST = "postings.json"


def write(index_dir, ix) -> None:
    """Write the postings columns of the committed index ``ix`` into ``index_dir/postings``."""
    folder = Path(index_dir) / DIRNAME
    folder.mkdir()
    with ix.reader() as reader:
        leaves = list(reader.leaf_readers())
        segments = [[leaf.segment().segment_id(), leaf.doc_count_all()] for leaf, _ in leaves]
        counted = [field for field in FIELDS if _write_field(folder, field, ix.schema[field].format, leaves)]
    manifest = {"version": VERSION, "segments": segments, "weights_are_counts": counted}
    (folder / _MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _write_field(folder: Path, field: str, fmt, leaves) -> bool:
    """Write one field's files; True when its weights are its position counts (and were not written)."""
    terms = sorted({t for leaf, _ in leaves for t in leaf.lexicon(field)})
    term_offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, terms), dtype=np.int64, count=len(terms)), out=term_offsets[1:])
    per_term = np.zeros(len(terms), dtype=np.int64)
    docs, weights, counts, positions = [], [], [], []
    batch: list = []

    def decode() -> None:  # many terms' values at once: the decoder's cost is per call, not per value
        doc_of, pos = decode_positions(batch, fmt.decode_positions)
        counts.append(np.bincount(doc_of, minlength=len(batch)).astype(np.uint32))
        positions.append(pos)
        batch.clear()

    for i, btext in enumerate(terms):
        for leaf, base in leaves:
            if (field, btext) in leaf:
                d, w, v = read_all(leaf._terms.matcher(field, btext, fmt), True)
                docs.append((d + base).astype(np.int32))
                weights.append(w.astype(np.float32))
                batch.extend(v)
                per_term[i] += len(d)
        if len(batch) >= 200_000:
            decode()
    decode()
    offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(per_term, out=offsets[1:])
    counts = _narrow(np.concatenate(counts))
    positions = _narrow(np.concatenate(positions))
    weights = _joined(weights, np.float32)
    # Positions' weight is the number of positions (times a field boost of 1): then the counts are the weights
    same = np.array_equal(weights, counts)
    pos_offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])[offsets]
    (folder / f"{field}.terms").write_bytes(b"".join(terms))
    for name, array in (("term_offsets", term_offsets), ("offsets", offsets), ("pos_offsets", pos_offsets),
                        ("docs", _joined(docs, np.int32)), ("weights", weights[:0] if same else weights),
                        ("counts", counts), ("positions", positions)):
        np.save(folder / f"{field}.{name}.npy", array)
    return same


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative integers in the smallest of uint16 / uint32 / int64 that holds them."""
    top = int(values.max()) if len(values) else 0
    return values.astype(np.uint16 if top < 1 << 16 else np.uint32 if top < 1 << 32 else np.int64)


def _joined(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def link(live_dir, aside_dir) -> None:
    """Hard-link the live index's postings columns into ``aside_dir`` (an incremental update's new version)."""
    source = Path(live_dir) / DIRNAME
    if not source.is_dir():
        return
    target = Path(aside_dir) / DIRNAME
    target.mkdir()
    for entry in os.scandir(source):
        os.link(entry.path, target / entry.name)


class _Terms:
    """The sorted term bytes of one field, as a sequence ``bisect`` can search without a list of them."""

    def __init__(self, blob, offsets: np.ndarray):
        self.blob = memoryview(blob)  # slicing a memoryview and indexing one give bytes and ints, fast
        self.offsets = memoryview(np.ascontiguousarray(offsets)).cast("B").cast("q")
        self._n = len(offsets) - 1

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> bytes:
        return bytes(self.blob[self.offsets[i]:self.offsets[i + 1]])


class PostingsColumns:
    """The postings columns of one index version, memory-mapped."""

    def __init__(self, folder: Path, segments: list, weights_are_counts=()):
        self.segments = [tuple(s) for s in segments]
        self.documents = sum(count for _, count in self.segments)
        self._fields = {}
        for field in FIELDS:
            blob = np.memmap(folder / f"{field}.terms", dtype=np.uint8, mode="r") \
                if (folder / f"{field}.terms").stat().st_size else b""
            load = lambda name: np.load(folder / f"{field}.{name}.npy", mmap_mode="r").view(np.ndarray)  # noqa: E731
            counts = load("counts")
            weights = counts if field in weights_are_counts else load("weights")
            self._fields[field] = (_Terms(blob, load("term_offsets")), load("offsets"), load("docs"), weights,
                                   load("pos_offsets"), counts, load("positions"))

    @classmethod
    def load(cls, index_dir) -> "PostingsColumns | None":
        folder = Path(index_dir) / DIRNAME
        try:
            manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if manifest.get("version") != VERSION:
            return None
        return cls(folder, manifest["segments"], manifest.get("weights_are_counts", ()))

    def covered(self, leaves) -> int:
        """How many of ``leaves`` (``(segment reader, base)``, in order) these columns hold."""
        n = 0
        for (leaf, _), (segment_id, count) in zip(leaves, self.segments):
            if leaf.segment().segment_id() != segment_id or leaf.doc_count_all() != count:
                break
            n += 1
        return n if n == len(self.segments) else 0

    def _find(self, field: str, btext: bytes):
        held = self._fields.get(field)
        if held is None:
            return None, None
        i = bisect.bisect_left(held[0], btext)
        return held, (i if i < len(held[0]) and held[0][i] == btext else None)

    def get(self, field: str, btext: bytes):
        """``(docs, weights)`` of the term over the covered segments, or None for a field not held."""
        held, i = self._find(field, btext)
        if held is None:
            return None
        _, offsets, docs, weights = held[:4]
        if i is None:
            return docs[:0], weights[:0]
        return docs[offsets[i]:offsets[i + 1]], weights[offsets[i]:offsets[i + 1]]

    def positions(self, field: str, btext: bytes, within: np.ndarray | None = None):
        """The term's occurrences as ``doc << 32 | position`` (sorted), or None for a field not held.

        ``within``: only in these documents (sorted, each one the term occurs in) — a phrase needs
        the positions of its candidates only, which for frequent words is a small part of them all.
        """
        held, i = self._find(field, btext)
        if held is None:
            return None
        if i is None:
            return np.zeros(0, dtype=np.int64)
        _, offsets, docs, _, pos_offsets, counts, positions = held
        lo, hi = offsets[i], offsets[i + 1]
        term_docs, term_counts = docs[lo:hi], counts[lo:hi].astype(np.int64)
        if within is None:
            doc_of = np.repeat(term_docs.astype(np.int64), term_counts)
            return (doc_of << 32) | positions[pos_offsets[i]:pos_offsets[i + 1]].astype(np.int64)
        pick = np.searchsorted(term_docs, within)
        starts = pos_offsets[i] + np.cumsum(term_counts)[pick] - term_counts[pick]  # each picked posting's first
        n = term_counts[pick]
        before = np.cumsum(n) - n
        at = np.arange(int(n.sum()), dtype=np.int64) + np.repeat(starts - before, n)
        return (np.repeat(np.asarray(within, dtype=np.int64), n) << 32) | positions[at].astype(np.int64)
