"""The index's own files: postings columns written straight from the analysers, and the cards.

No Whoosh segment is written or read. In ``<index>/postings/``, per indexed field ``f`` (mapped, or :class:`Ranges`):
``f.terms`` (term bytes, sorted, concatenated) with ``f.term_offsets.npy``; ``f.offsets.npy`` (where
each term's postings start), ``f.docs.npy`` (int32, ascending per term) and ``f.counts.npy``
(occurrences: the posting's weight, as Whoosh's ``Positions`` weighs it with a field boost of 1);
for text fields ``f.pos_offsets.npy`` and ``f.positions.npy`` (phrases) and ``f.lengths.npy`` (each
document's number of terms; BM25F reads them quantised to a byte as Whoosh stores them). A year is
its sortable term (``field.to_bytes``), so year terms and ranges are look-ups over ordered bytes.
``cards.jsonl`` (+ ``cards.offsets.npy``) holds the cards, ``keys.<key>.npy`` each document's sort key
of :data:`SORT_KEYS` (from its card), ``postings.json`` the format version, the number of documents and
each field's kind and total length. Facet values are the postings of the ``facet_<facet>`` id fields.

An incremental update writes a small *delta* part (``<index>/delta/postings/``, the same files) of
the documents it adds or replaces, after the base's in document numbers, and the base documents those
hide (``delta/hidden.npy``); the base's files are hard links to the last version's. :class:`Field` reads
the parts as one without the hidden documents, so a search answers as after a full build.
"""

from __future__ import annotations

import bisect
import json
import os
import weakref
from pathlib import Path

import numpy as np
from whoosh.util.numeric import byte_to_length

from ..npy import map_array

DIRNAME = "postings"
VERSION = 3
MANIFEST = "postings.json"
DELTA, HIDDEN = "delta", "hidden.npy"  # the delta part's folder, and the base documents it hides
#: Per document, from its card: sort key -> (card key, value when the card has none, dtype).
SORT_KEYS = {"year": ("year", -1, "i"), "strength": ("strength", 0, "i"), "level": ("evidence_level", 0, "i"),
             "effect": ("effect_size", float("nan"), "d")}
CHUNK = 1 << 20  # postings read at a time by a pass over a whole column


class Terms:
    """The sorted term bytes of one field, as a sequence ``bisect`` can search without a list of them."""

    def __init__(self, blob, offsets: np.ndarray):
        self.blob = memoryview(blob)  # slicing a memoryview and indexing one give bytes and ints, fast
        self.offsets = memoryview(np.ascontiguousarray(offsets, dtype=np.int64)).cast("B").cast("q")
        self.n = len(offsets) - 1

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> bytes:
        return bytes(self.blob[self.offsets[i]:self.offsets[i + 1]])

    def find(self, btext: bytes) -> int | None:
        i = bisect.bisect_left(self, btext)
        return i if i < self.n and self[i] == btext else None

    def between(self, low: bytes, high: bytes | None) -> range:
        """Indexes of the terms ``low <= term < high`` (``high`` None: to the end)."""
        return range(bisect.bisect_left(self, low), self.n if high is None else bisect.bisect_left(self, high))


#: Each length byte's length, as Whoosh stores a field length in one byte and BM25F reads it back.
BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)
BYTE_FLOATS = BYTE_LENGTHS.astype(np.float64)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """``length_to_byte(length)`` of each length (uint8; with :data:`BYTE_FLOATS`, the length BM25F reads:
    checked against Whoosh's own in tests/search/test_store.py)."""
    return np.minimum(np.searchsorted(BYTE_LENGTHS, lengths), 255).astype(np.uint8)


def load_array(path: Path) -> np.ndarray:
    """The saved array at ``path``, memory-mapped (see :func:`evidence.npy.map_array`)."""
    return map_array(path).view(np.ndarray)  # a plain view: memmap slices are slower


class Ranges:
    """Items of a file read with ``os.pread``, as SQLite reads its pages: they stay in the page cache, shared
    and reclaimable, instead of being mapped (with fault-around) in each worker and counted in its PSS."""

    def __init__(self, path, start: int = 0, dtype=np.uint8):
        self.start, self.dtype, self.fd = start, np.dtype(dtype), os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        weakref.finalize(self, os.close, self.fd)  # (pread has no file position to share across threads or forks)

    def __getitem__(self, span: slice) -> np.ndarray:
        lo, size = int(span.start), self.dtype.itemsize
        return np.frombuffer(os.pread(self.fd, (int(span.stop) - lo) * size, self.start + lo * size), self.dtype)


class FieldColumns:
    """One field's memory-mapped columns in one part, whose documents are ``start`` to ``stop`` of the
    index (numbered from 0 in the part's own columns)."""

    def __init__(self, folder: Path, name: str, kind: str, total: int, start: int, stop: int):
        def load(key):
            return load_array(folder / f"{name}.{key}.npy")

        def both(key):  # the map, for passes over the whole column, and the ranges a term's search reads
            mapped = map_array(folder / f"{name}.{key}.npy")
            return mapped.view(np.ndarray), Ranges(mapped.filename, mapped.offset, mapped.dtype)

        path = folder / f"{name}.terms"
        blob = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else b""
        self.kind, self.total, self.start, self.stop = kind, total, start, stop
        self.terms = Terms(blob, load("term_offsets"))
        if len(blob) != self.terms.offsets[self.terms.n]:
            raise ValueError(f"{path}: {len(blob)} bytes, its offsets say {self.terms.offsets[self.terms.n]}")
        self.offsets, (self.docs, self.term_docs), (self.counts, self.term_counts) = \
            load("offsets"), both("docs"), both("counts")
        self.pos_offsets = load("pos_offsets") if kind == "text" else None
        self.positions, self.term_positions = both("positions") if kind == "text" else (None, None)
        self.lengths = load("lengths") if kind == "text" else None

    def postings(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The documents (the index's numbers) holding the term ``i``, and its weights in them."""
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return self.term_docs[lo:hi].astype(np.int64) + self.start, self.term_counts[lo:hi].astype(np.float64)

    def occurrences(self, i: int, within: np.ndarray) -> np.ndarray:
        """The term's occurrences in the documents ``within`` (the index's numbers: sorted, in this part,
        each holding the term) as ``doc << 32 | position``, sorted."""
        lo, hi = self.offsets[i], self.offsets[i + 1]
        term_docs, term_counts = self.term_docs[lo:hi], self.term_counts[lo:hi].astype(np.int64)
        pick = np.searchsorted(term_docs, within - self.start)
        starts = np.cumsum(term_counts)[pick] - term_counts[pick]  # from the term's first position
        n = term_counts[pick]
        before = np.cumsum(n) - n
        at = np.arange(int(n.sum()), dtype=np.int64) + np.repeat(starts - before, n)  # ascending
        if not len(at):
            return np.zeros(0, dtype=np.int64)
        lo = int(self.pos_offsets[i] + at[0])  # read only the range the documents ``within`` span
        positions = self.term_positions[lo:lo + int(at[-1] - at[0]) + 1][at - at[0]].astype(np.int64)
        return (np.repeat(np.asarray(within, dtype=np.int64), n) << 32) | positions

    def postings_of(self, keep: np.ndarray, renumber: np.ndarray) -> tuple:
        """The postings of the documents ``keep`` (renumbered), as :func:`.writing.Writer` merges them."""
        live = keep[self.docs]
        p_term = np.repeat(np.arange(self.terms.n, dtype=np.int64), np.diff(self.offsets))[live]
        present = np.unique(p_term)
        remap = np.zeros(self.terms.n, dtype=np.int64)
        remap[present] = np.arange(len(present))
        counts = self.counts[live].astype(np.int64)
        pos = self.positions[np.repeat(live, self.counts)].astype(np.int64) if self.kind == "text" else \
            np.zeros(int(counts.sum()), dtype=np.int64)  # (wide: the new positions are inserted into it)
        return ([self.terms[i] for i in present.tolist()], remap[p_term], renumber[self.docs[live]], counts, pos)


class Part:
    """The columns and cards of one ``postings`` folder (the index's base, or its delta), memory-mapped."""

    def __init__(self, folder: Path, start: int = 0):
        folder = Path(folder) / DIRNAME
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("version") != VERSION:
            raise ValueError(f"postings format {manifest.get('version')}, expected {VERSION}")
        self.doc_count, self.start = manifest["documents"], start  # its documents' first number in the index
        self.fields = {name: FieldColumns(folder, name, spec["kind"], spec["total"], start, start + self.doc_count)
                       for name, spec in manifest["fields"].items()}
        self.card_offsets = load_array(folder / "cards.offsets.npy")
        self.cards = Ranges(folder / "cards.jsonl")
        self.keys = {key: load_array(folder / f"keys.{key}.npy") for key in SORT_KEYS}
        if len(self.card_offsets) != self.doc_count + 1 or os.fstat(self.cards.fd).st_size != self.card_offsets[-1] or \
                any(len(keys) != self.doc_count for keys in self.keys.values()):
            raise ValueError(f"{folder}: the cards or sort keys do not match the documents")

    def card_bytes(self, docnum: int) -> bytes:
        return self.cards[self.card_offsets[docnum]:self.card_offsets[docnum + 1] - 1].tobytes()


class Field:
    """One field over the parts of an index version (the delta's documents after the base's), without the
    hidden documents (``live``: the index's mask of the others, None when none is hidden): its terms (bytes),
    postings and statistics are those of the live documents, as a full build writes and BM25F reads them."""

    def __init__(self, parts: list[FieldColumns], live: np.ndarray | None):
        self.parts, self.live = parts, live
        self.kind, self.has_positions = parts[0].kind, parts[0].kind == "text"
        hidden_length = int(parts[0].lengths[~live[:parts[0].stop]].sum()) if live is not None and \
            self.has_positions else 0
        self.total = sum(p.total for p in parts) - hidden_length  # (only the base's documents are hidden)
        self.hidden = 0 if live is None else len(live) - int(live.sum())
        # each document's length byte, once per open index: a term's scores read them by index (5,000: ~50x faster)
        self.length_bytes = np.concatenate([length_bytes(p.lengths) for p in parts]) if self.has_positions else None

    def holding(self, btext: bytes):
        """``(part, its term index)`` of each part that holds the term."""
        for part in self.parts:
            i = part.terms.find(btext)
            if i is not None:
                yield part, i

    def live_terms(self, part: FieldColumns, terms: range) -> np.ndarray:
        """Whether a live document holds each of the part's terms ``terms`` (reads only their postings)."""
        if self.live is None or not len(terms):
            return np.ones(len(terms), dtype=bool)
        bounds = np.asarray(part.offsets[terms.start:terms.stop + 1], dtype=np.int64)
        live = [self.live[part.term_docs[lo:min(lo + CHUNK, bounds[-1])].astype(np.int64) + part.start]
                for lo in range(int(bounds[0]), int(bounds[-1]), CHUNK)]  # read a chunk at a time, not mapped
        kept = np.concatenate([[0], np.cumsum(np.concatenate([np.zeros(0, bool), *live]), dtype=np.int64)])
        return kept[bounds[1:] - bounds[0]] > kept[bounds[:-1] - bounds[0]]

    def postings(self, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The live documents holding the term, ascending, and its weights (occurrences) in them."""
        found = [part.postings(i) for part, i in self.holding(btext)]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        docs, weights = found[0] if len(found) == 1 else (np.concatenate([d for d, _ in found]),
                                                          np.concatenate([w for _, w in found]))
        if self.live is not None:
            keep = self.live[docs]
            docs, weights = docs[keep], weights[keep]
        return docs, weights

    def has(self, btext: bytes) -> bool:
        # a term in more documents than are hidden has a live one, without reading its postings
        return any(part.offsets[i + 1] - part.offsets[i] > self.hidden or self.live_terms(part, range(i, i + 1))[0]
                   for part, i in self.holding(btext))

    def frequency(self, btext: bytes) -> int:
        """The term's occurrences in all live documents (its weights' sum)."""
        return int(self.postings(btext)[1].sum())

    def between(self, low: bytes, high: bytes | None) -> list[bytes]:
        """The live terms ``low <= term < high`` (``high`` None: to the end), sorted."""
        found = []
        for part in self.parts:
            terms = part.terms.between(low, high)
            found += [part.terms[i] for i, live in zip(terms, self.live_terms(part, terms)) if live]
        return sorted(set(found)) if len(self.parts) > 1 else found

    def occurrences(self, btext: bytes, within: np.ndarray) -> np.ndarray:
        """:meth:`FieldColumns.occurrences` across the parts."""
        out = [part.occurrences(i, within[(within >= part.start) & (within < part.stop)])
               for part, i in self.holding(btext)]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def counts(self, within: np.ndarray) -> dict[str, int]:
        """term -> how many of the documents ``within`` (a mask over the live documents) hold it."""
        out: dict[str, int] = {}
        for part in self.parts:
            # each term's postings summed in place (every term has one); a cumsum of the bools is ~20x slower
            per_term = np.add.reduceat(within[part.start:][part.docs], part.offsets[:-1], dtype=np.int64)
            for i in np.flatnonzero(per_term).tolist():
                term = part.terms[i].decode("utf-8")
                out[term] = out.get(term, 0) + int(per_term[i])
        return out

    def quantised_lengths(self, docs: np.ndarray) -> np.ndarray:
        """The lengths of the documents ``docs`` as BM25F reads them."""
        return BYTE_FLOATS[self.length_bytes[docs]]

    def documents(self) -> np.ndarray:
        """The live documents with a term in this field."""
        docs = np.unique(np.concatenate([p.docs.astype(np.int64) + p.start for p in self.parts]))
        return docs if self.live is None else docs[self.live[docs]]


class IndexFiles:
    """The postings columns and cards of one index version: its base part and, after incremental updates,
    a delta part (``delta/``) with the documents hidden in the base (``delta/hidden.npy``), memory-mapped."""

    def __init__(self, folder):
        folder = Path(folder)
        self.parts = [Part(folder)]
        self.hidden = np.zeros(0, dtype=np.int64)
        if (folder / DELTA / DIRNAME).is_dir():
            self.parts.append(Part(folder / DELTA, self.parts[0].doc_count))
            self.hidden = load_array(folder / DELTA / HIDDEN).astype(np.int64)
        self.size = sum(p.doc_count for p in self.parts)  # document numbers: 0 .. size - 1
        self.doc_count = self.size - len(self.hidden)  # live documents
        self.live = np.ones(self.size, dtype=bool)  # False for the base documents the delta hides
        self.live[self.hidden] = False
        self.fields = {name: Field([p.fields[name] for p in self.parts], self.live if len(self.hidden) else None)
                       for name in self.parts[0].fields}
        self.keys = {key: self.parts[0].keys[key] if len(self.parts) == 1 else
                     np.concatenate([p.keys[key] for p in self.parts]) for key in SORT_KEYS}
        self.id_rank = id_ranks(self.fields["id"], self.size)  # ties broken as the cards' sort did

    def card(self, docnum: int) -> dict:
        part = self.parts[-1] if docnum >= self.parts[-1].start else self.parts[0]
        return json.loads(part.card_bytes(docnum - part.start))


def id_ranks(ids: Field, size: int) -> np.ndarray:
    """Each document's rank in the order of the documents' ids (a hidden one beside its successor)."""
    base = ids.parts[0]
    order = base.docs.astype(np.int64)  # one document per id term, in term order
    if len(ids.parts) > 1:
        delta = ids.parts[1]
        at = [bisect.bisect_left(base.terms, delta.terms[i]) for i in range(delta.terms.n)]
        # base term i at 2i + 1, a delta term at 2 * (the base terms before it): stable, so in its own order
        by_id = np.argsort(np.r_[2 * np.arange(base.terms.n) + 1, 2 * np.array(at, dtype=np.int64)], kind="stable")
        order = np.concatenate([order, delta.docs.astype(np.int64) + delta.start])[by_id]
    rank = np.empty(size, dtype=np.int32)
    rank[order] = np.arange(size, dtype=np.int32)
    return rank
