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
  ``<field>.docs`` (int32 document numbers, ascending per term) and
  ``<field>.weights`` (float32, as Whoosh stores them);
- ``postings.json``: the format version and the segments covered, as
  ``[segment id, documents]`` in index order. A reader uses the files for
  exactly those leading segments and Whoosh's own postings for any segment
  added later by an incremental update (see :mod:`.engine`).

Positions are not stored (phrases read them from Whoosh and cache them).
"""

from __future__ import annotations

import bisect
import json
import os
from pathlib import Path

import numpy as np

from .schema import DEFAULT_FIELDS

DIRNAME = "postings"
VERSION = 1
FIELDS = tuple(DEFAULT_FIELDS)
_MANIFEST = "postings.json"


def write(index_dir, ix) -> None:
    """Write the postings columns of the committed index ``ix`` into ``index_dir/postings``."""
    from .engine import _read_all

    folder = Path(index_dir) / DIRNAME
    folder.mkdir()
    with ix.reader() as reader:
        leaves = list(reader.leaf_readers())
        segments = [[leaf.segment().segment_id(), leaf.doc_count_all()] for leaf, _ in leaves]
        for field in FIELDS:
            fmt = ix.schema[field].format
            terms = sorted({t for leaf, _ in leaves for t in leaf.lexicon(field)})
            lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
            term_offsets = np.zeros(len(terms) + 1, dtype=np.int64)
            np.cumsum(lengths, out=term_offsets[1:])
            docs, weights, counts = [], [], np.zeros(len(terms), dtype=np.int64)
            for i, btext in enumerate(terms):
                for leaf, base in leaves:
                    if (field, btext) in leaf:
                        d, w, _ = _read_all(leaf._terms.matcher(field, btext, fmt), False)
                        docs.append((d + base).astype(np.int32))
                        weights.append(w.astype(np.float32))
                        counts[i] += len(d)
            offsets = np.zeros(len(terms) + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            (folder / f"{field}.terms").write_bytes(b"".join(terms))
            np.save(folder / f"{field}.term_offsets.npy", term_offsets)
            np.save(folder / f"{field}.offsets.npy", offsets)
            np.save(folder / f"{field}.docs.npy", np.concatenate(docs) if docs else np.zeros(0, np.int32))
            np.save(folder / f"{field}.weights.npy", np.concatenate(weights) if weights else np.zeros(0, np.float32))
    (folder / _MANIFEST).write_text(json.dumps({"version": VERSION, "segments": segments}), encoding="utf-8")


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

    def __init__(self, folder: Path, segments: list):
        self.segments = [tuple(s) for s in segments]
        self.documents = sum(count for _, count in self.segments)
        self._fields = {}
        for field in FIELDS:
            blob = np.memmap(folder / f"{field}.terms", dtype=np.uint8, mode="r") \
                if (folder / f"{field}.terms").stat().st_size else b""
            load = lambda name: np.load(folder / f"{field}.{name}.npy", mmap_mode="r")  # noqa: E731
            self._fields[field] = (_Terms(blob, load("term_offsets")), load("offsets"), load("docs"), load("weights"))

    @classmethod
    def load(cls, index_dir) -> "PostingsColumns | None":
        folder = Path(index_dir) / DIRNAME
        try:
            manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if manifest.get("version") != VERSION:
            return None
        return cls(folder, manifest["segments"])

    def covered(self, leaves) -> int:
        """How many of ``leaves`` (``(segment reader, base)``, in order) these columns hold."""
        n = 0
        for (leaf, _), (segment_id, count) in zip(leaves, self.segments):
            if leaf.segment().segment_id() != segment_id or leaf.doc_count_all() != count:
                break
            n += 1
        return n if n == len(self.segments) else 0

    def get(self, field: str, btext: bytes):
        """``(docs, weights)`` of the term over the covered segments, or None for a field not held."""
        held = self._fields.get(field)
        if held is None:
            return None
        terms, offsets, docs, weights = held
        i = bisect.bisect_left(terms, btext)
        if i == len(terms) or terms[i] != btext:
            return docs[:0], weights[:0]
        return docs[offsets[i]:offsets[i + 1]], weights[offsets[i]:offsets[i + 1]]
