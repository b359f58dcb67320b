"""The index's own files: postings columns written straight from the analysers, and the cards.

No Whoosh segment is written or read. In ``<index>/postings/``, per indexed field ``f``, memory-mapped:
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
the documents it adds or replaces, and the base documents those hide (``delta/hidden.npy``); the base
part's files are hard links to the last version's. A search reads both through :class:`Field`, with
the live documents' statistics, so it answers as a full build would. When the delta grows past a
bound, the update folds it into a new base (:meth:`Writer.write` from the old parts' postings).
"""

from __future__ import annotations

import bisect
import json
import mmap
from array import array
from pathlib import Path

import numpy as np
from whoosh import fields
from whoosh.util.numeric import byte_to_length

from ..outputs import save_array
from .analysis import analyse_line
from .schema import TEXT_ANALYSIS

DIRNAME = "postings"
VERSION = 3
MANIFEST = "postings.json"
DELTA, HIDDEN = "delta", "hidden.npy"  # the delta part's folder, and the base documents it hides
#: Fields whose whole values repeat across documents (the vocabulary's labels): analysed once per value.
REPEATING = frozenset({"intervention", "target", "outcome", "design", "country"})
#: Per document, from its card: sort key -> (card key, value when the card has none, dtype).
SORT_KEYS = {"year": ("year", -1, "i"), "strength": ("strength", 0, "i"), "level": ("evidence_level", 0, "i"),
             "effect": ("effect_size", float("nan"), "d")}
_LINE_CACHE = 20_000  # distinct lines remembered per analyzer (cleared when full: labels repeat, abstracts do not)


def field_kind(field) -> str:
    if isinstance(field, fields.NUMERIC):
        return "numeric"
    if isinstance(field, fields.TEXT):
        return "text"
    return "id"


class _Vocabulary:
    """Term ids of one analyzer (or of one id/numeric field), and its lines analysed once each."""

    def __init__(self, analysis: str | None):
        self.analysis = analysis
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.lines: dict[str, tuple] = {}
        self.values: dict[str, tuple] = {}  # whole values of the REPEATING fields

    def ids_of(self, terms) -> list[int]:
        ids, out = self.ids, []
        for t in terms:
            i = ids.get(t)
            if i is None:
                i = ids[t] = len(self.terms)
                self.terms.append(t)
            out.append(i)
        return out

    def value(self, text: str, repeating: bool) -> tuple[list, int]:
        """A text value's term ids in order and the position of the first (a value is lines; tokens
        never span a line break, and kept tokens stand at consecutive positions)."""
        hit = self.values.get(text) if repeating else None
        if hit is not None:
            return hit
        ids: list[int] = []
        first, raw_base = None, 0
        for line in text.split("\n"):
            seq = self.lines.get(line)
            if seq is None:
                terms, lfirst, raw = analyse_line(self.analysis, line)
                if len(self.lines) >= _LINE_CACHE:
                    self.lines.clear()
                seq = self.lines[line] = (self.ids_of(terms), lfirst or 0, raw)
            if seq[0]:
                first = raw_base + seq[1] if first is None else first
                ids.extend(seq[0])
            raw_base += seq[2]
        hit = (ids, first or 0)
        if repeating:
            self.values[text] = hit
        return hit


class Writer:
    """Documents in, in order (:meth:`add`); a part's columns and cards out (:meth:`write`)."""

    def __init__(self, schema):
        self.schema = schema
        self.kinds = {name: field_kind(schema[name]) for name in schema.names() if schema[name].indexed}
        shared = {a: _Vocabulary(a) for a in set(TEXT_ANALYSIS.values())}
        self.vocabularies = {name: shared[TEXT_ANALYSIS[name]] if kind == "text" else _Vocabulary(None)
                             for name, kind in self.kinds.items()}
        # per field: every token's term id, and per document its number of tokens and first position
        self.tokens = {name: array("i") for name in self.kinds}
        self.lengths = {name: array("I") for name in self.kinds}
        self.first = {name: array("I") for name in self.kinds}
        self.cards: list[bytes] = []
        self.keys = {key: array(dtype) for key, (_, _, dtype) in SORT_KEYS.items()}

    def add(self, doc: dict) -> None:
        for name, kind in self.kinds.items():
            value, vocabulary, field = doc.get(name), self.vocabularies[name], self.schema[name]
            if value is None:
                ids, first = [], 0
            elif kind == "text":
                ids, first = vocabulary.value(value, name in REPEATING)
            elif kind == "numeric":  # the value's one sortable term (shift 0)
                ids, first = vocabulary.ids_of([field.to_bytes(value).decode("latin-1")]), 0
            else:  # an id, or a list of facet values
                values = value if isinstance(value, list) else [t.decode("utf-8") for t, _, _, _ in field.index(value)]
                ids, first = vocabulary.ids_of(sorted(set(values))), 0
            self.tokens[name].extend(ids)
            self.lengths[name].append(len(ids))
            self.first[name].append(first)
        self.cards.append(json.dumps(doc["card"], ensure_ascii=False).encode("utf-8"))
        for key, (card_key, missing, _) in SORT_KEYS.items():
            value = doc["card"].get(card_key)
            self.keys[key].append(missing if value is None else value)

    def token_arrays(self, name: str, base: int):
        """``(term ids, document, position)`` of every token of the field, documents numbered from ``base``."""
        tok = np.frombuffer(self.tokens[name], dtype=np.int32) if self.tokens[name] else np.zeros(0, np.int32)
        lengths = np.frombuffer(self.lengths[name], dtype=np.uint32).astype(np.int64)
        starts = np.cumsum(lengths) - lengths - np.frombuffer(self.first[name], dtype=np.uint32)
        doc = np.repeat(np.arange(base, base + len(lengths), dtype=np.int32), lengths)
        pos = np.arange(len(tok), dtype=np.int64) - np.repeat(starts, lengths)
        return tok, doc, pos.astype(np.int32)

    def write(self, folder: Path, sources=()) -> None:
        """Write a part into ``folder/postings``: the documents ``keep`` (a boolean mask) of each
        ``(Part, keep)`` of ``sources`` in order, renumbered, then the documents added here."""
        target = Path(folder) / DIRNAME
        target.mkdir(parents=True)
        sources = [(part, keep, np.cumsum(keep, dtype=np.int64) - 1) for part, keep in sources]
        totals = {}
        for name, kind in self.kinds.items():
            merged, lengths, base = None, [], 0
            for part, keep, renumber in sources:
                old = part.fields[name]
                postings = old.postings_of(keep, renumber + base)
                merged = postings if merged is None else _merge(merged, postings)
                lengths.append(old.lengths[keep] if kind == "text" else [])
                base += int(keep.sum())
            terms = [_encode(t, kind) for t in self.vocabularies[name].terms]
            postings = _postings(terms, *self.token_arrays(name, base))
            _write_field(target, name, kind, postings if merged is None else _merge(merged, postings))
            lengths = np.concatenate([*lengths, np.frombuffer(self.lengths[name], dtype=np.uint32)])
            if kind == "text":
                save_array(target / f"{name}.lengths.npy", lengths.astype(np.uint32))
            totals[name] = int(lengths.sum(dtype=np.int64)) if kind == "text" else 0
        cards = [part.card_bytes(d) for part, keep, _ in sources for d in np.flatnonzero(keep)] + self.cards
        offsets = np.zeros(len(cards) + 1, dtype=np.int64)
        np.cumsum([len(c) + 1 for c in cards], out=offsets[1:])
        (target / "cards.jsonl").write_bytes(b"".join(c + b"\n" for c in cards))
        save_array(target / "cards.offsets.npy", offsets)
        for key, values in self.keys.items():
            kept = [part.keys[key][keep] for part, keep, _ in sources] + [np.frombuffer(values, dtype=values.typecode)]
            save_array(target / f"keys.{key}.npy", np.concatenate(kept))
        manifest = {"version": VERSION, "documents": len(cards),
                    "fields": {name: {"kind": kind, "total": totals[name]} for name, kind in self.kinds.items()}}
        (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _encode(term: str, kind: str) -> bytes:
    return term.encode("latin-1") if kind == "numeric" else term.encode("utf-8")


def _postings(terms: list[bytes], tok: np.ndarray, doc: np.ndarray, pos: np.ndarray) -> tuple:
    """Tokens (term ids into ``terms``, documents, positions; in document order) as postings:
    ``(sorted terms, term index per posting, document, count, positions per posting in order)``."""
    used = np.unique(tok)
    everything = sorted(terms[i] for i in used.tolist())
    index = {t: i for i, t in enumerate(everything)}
    table = np.zeros(len(terms), dtype=np.int32)
    table[used] = [index[terms[i]] for i in used.tolist()]
    term = table[tok]
    order = np.argsort(term, kind="stable")  # within a term: documents, then positions, as added
    term, doc, pos = term[order], doc[order].astype(np.int32), pos[order]
    starts = np.flatnonzero(np.concatenate([[len(term) > 0], (term[1:] != term[:-1]) | (doc[1:] != doc[:-1])]))
    return everything, term[starts], doc[starts], np.diff(np.append(starts, len(term))), pos


def _merge(a: tuple, b: tuple) -> tuple:
    """Postings ``b`` (of later documents) merged into ``a``, both as :func:`_postings` gives them:
    each of ``b``'s postings goes after ``a``'s of the same term (no sort of ``a``: it stays in order)."""
    everything = sorted(set(a[0]) | set(b[0]))
    index = {t: i for i, t in enumerate(everything)}
    ta = np.array([index[t] for t in a[0]], dtype=np.int64)[a[1]]
    tb = np.array([index[t] for t in b[0]], dtype=np.int64)[b[1]]
    at = np.searchsorted(ta, tb, side="right")
    token_starts = np.concatenate([[0], np.cumsum(a[3], dtype=np.int64)])
    positions = np.insert(a[4], np.repeat(token_starts[at], b[3]), b[4])
    return everything, np.insert(ta, at, tb), np.insert(a[2], at, b[2]), np.insert(a[3], at, b[3]), positions


def _write_field(folder: Path, name: str, kind: str, postings: tuple) -> None:
    everything, term, doc, counts, positions = postings
    steps = np.arange(len(everything) + 1)
    (folder / f"{name}.terms").write_bytes(b"".join(everything))
    offsets = np.searchsorted(term, steps).astype(np.int64)
    arrays = {"term_offsets": np.concatenate([[0], np.cumsum([len(t) for t in everything], dtype=np.int64)]),
              "offsets": offsets, "docs": doc.astype(np.int32), "counts": _narrow(counts)}
    if kind == "text":
        arrays["pos_offsets"] = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])[offsets]
        arrays["positions"] = _narrow(positions)
    for key, values in arrays.items():
        save_array(folder / f"{name}.{key}.npy", values)


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative integers in the smallest of uint16 / uint32 / int64 that holds them."""
    top = int(values.max()) if len(values) else 0
    return values.astype(np.uint16 if top < 1 << 16 else np.uint32 if top < 1 << 32 else np.int64)


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


def quantised(lengths: np.ndarray) -> np.ndarray:
    """``byte_to_length(length_to_byte(length))`` of each length (checked equal in tests/search/test_store.py)."""
    return BYTE_LENGTHS[np.minimum(np.searchsorted(BYTE_LENGTHS, lengths), 255)].astype(np.float64)


def load_array(path: Path) -> np.ndarray:
    """The saved array at ``path``, memory-mapped (numpy maps only a file as long as its header says:
    a truncated file raises ValueError here instead of a SIGBUS at the first read past its end)."""
    return np.load(path, mmap_mode="r").view(np.ndarray)  # a plain view: memmap slices are slower


class FieldColumns:
    """One field's memory-mapped columns in one part; documents numbered from 0 in the part."""

    def __init__(self, folder: Path, name: str, kind: str, total: int):
        def load(key):
            return load_array(folder / f"{name}.{key}.npy")

        path = folder / f"{name}.terms"
        blob = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else b""
        self.kind, self.total = kind, total
        self.terms = Terms(blob, load("term_offsets"))
        if len(blob) != self.terms.offsets[self.terms.n]:
            raise ValueError(f"{path}: {len(blob)} bytes, its offsets say {self.terms.offsets[self.terms.n]}")
        self.offsets, self.docs, self.counts = load("offsets"), load("docs"), load("counts")
        self.pos_offsets = load("pos_offsets") if kind == "text" else None
        self.positions = load("positions") if kind == "text" else None
        self.lengths = load("lengths") if kind == "text" else None

    def postings(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return self.docs[lo:hi].astype(np.int64), self.counts[lo:hi].astype(np.float64)

    def occurrences(self, i: int, within: np.ndarray) -> np.ndarray:
        """The term's occurrences in the documents ``within`` (sorted, each holding the term) as
        ``doc << 32 | position``, sorted."""
        lo, hi = self.offsets[i], self.offsets[i + 1]
        term_docs, term_counts = self.docs[lo:hi], self.counts[lo:hi].astype(np.int64)
        pick = np.searchsorted(term_docs, within)
        starts = self.pos_offsets[i] + np.cumsum(term_counts)[pick] - term_counts[pick]
        n = term_counts[pick]
        before = np.cumsum(n) - n
        at = np.arange(int(n.sum()), dtype=np.int64) + np.repeat(starts - before, n)
        return (np.repeat(np.asarray(within, dtype=np.int64), n) << 32) | self.positions[at].astype(np.int64)

    def postings_of(self, keep: np.ndarray, renumber: np.ndarray) -> tuple:
        """The postings of the documents ``keep`` (renumbered), as :func:`_postings` gives them."""
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

    def __init__(self, folder: Path):
        folder = Path(folder) / DIRNAME
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("version") != VERSION:
            raise ValueError(f"postings format {manifest.get('version')}, expected {VERSION}")
        self.doc_count = manifest["documents"]
        self.fields = {name: FieldColumns(folder, name, spec["kind"], spec["total"])
                       for name, spec in manifest["fields"].items()}
        self.card_offsets = load_array(folder / "cards.offsets.npy")
        self.card_blob = b""
        if self.doc_count:  # mmap's slices are bytes: cheaper per card than a numpy memmap's
            with open(folder / "cards.jsonl", "rb") as fh:
                self.card_blob = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.keys = {key: load_array(folder / f"keys.{key}.npy") for key in SORT_KEYS}
        if len(self.card_offsets) != self.doc_count + 1 or len(self.card_blob) != self.card_offsets[-1] or \
                any(len(keys) != self.doc_count for keys in self.keys.values()):
            raise ValueError(f"{folder}: the cards or sort keys do not match the documents")

    def card_bytes(self, docnum: int) -> bytes:
        return self.card_blob[int(self.card_offsets[docnum]):int(self.card_offsets[docnum + 1]) - 1]


class Field:
    """One field over the parts of an index version, documents numbered across them (the delta's after
    the base's), without the hidden ones: its terms, postings and statistics are those of the live
    documents, as a full build of them writes and BM25F reads them. A term is its bytes."""

    def __init__(self, parts: list[FieldColumns], starts: list[int], hidden: np.ndarray):
        self.parts, self.starts, self.hidden = parts, starts, hidden
        self.kind = parts[0].kind
        self.has_positions = self.kind == "text"
        hidden_length = int(parts[0].lengths[hidden].sum()) if len(hidden) and self.has_positions else 0
        self.total = sum(p.total for p in parts) - hidden_length  # (only the base's documents are hidden)

    def live_terms(self, part: FieldColumns, terms: range) -> np.ndarray:
        """Whether a live document holds each of the part's terms ``terms`` (a delta's documents are all
        live); reads only these terms' postings."""
        if part is not self.parts[0] or not len(self.hidden) or not len(terms):
            return np.ones(len(terms), dtype=bool)
        bounds = np.asarray(part.offsets[terms.start:terms.stop + 1], dtype=np.int64) - int(part.offsets[terms.start])
        docs = part.docs[int(part.offsets[terms.start]):int(part.offsets[terms.stop])]
        kept = np.concatenate([[0], np.cumsum(~np.isin(docs, self.hidden), dtype=np.int64)])
        return kept[bounds[1:]] > kept[bounds[:-1]]

    def holding(self, btext: bytes):
        """``(part, its term index, first document number)`` of each part that holds the term."""
        for part, start in zip(self.parts, self.starts):
            i = part.terms.find(btext)
            if i is not None:
                yield part, i, start

    def postings(self, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The live documents holding the term, ascending, and its weights (occurrences) in them."""
        found = []
        for part, i, start in self.holding(btext):
            docs, weights = part.postings(i)
            found.append((docs + start, weights))
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        docs, weights = found[0] if len(found) == 1 else (np.concatenate([d for d, _ in found]),
                                                          np.concatenate([w for _, w in found]))
        if len(self.hidden) and len(docs):
            keep = ~np.isin(docs, self.hidden, assume_unique=True)
            docs, weights = docs[keep], weights[keep]
        return docs, weights

    def has(self, btext: bytes) -> bool:
        # (a term in more documents than are hidden has a live one)
        return any(part.offsets[i + 1] - part.offsets[i] > len(self.hidden) or self.live_terms(part, range(i, i + 1))[0]
                   for part, i, _ in self.holding(btext))

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
        out = []
        for part, i, start in self.holding(btext):
            mine = within[(within >= start) & (within < start + len(part.lengths))]
            out.append(part.occurrences(i, mine - start) + (start << 32))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def counts(self, within: np.ndarray) -> dict[str, int]:
        """term -> how many of the documents ``within`` (a mask over the live documents) hold it."""
        out: dict[str, int] = {}
        for part, start in zip(self.parts, self.starts):
            held = np.concatenate([[0], np.cumsum(within[start:][part.docs], dtype=np.int64)])
            per_term = held[part.offsets[1:]] - held[part.offsets[:-1]]
            for i in np.flatnonzero(per_term).tolist():
                term = part.terms[i].decode("utf-8")
                out[term] = out.get(term, 0) + int(per_term[i])
        return out

    def quantised_lengths(self, docs: np.ndarray) -> np.ndarray:
        """The lengths of the documents ``docs`` as BM25F reads them."""
        out = np.empty(len(docs))
        for part, start in zip(self.parts, self.starts):
            mine = (docs >= start) & (docs < start + len(part.lengths))
            out[mine] = quantised(part.lengths[docs[mine] - start])
        return out

    def documents(self) -> np.ndarray:
        """The live documents with a term in this field."""
        docs = np.unique(np.concatenate([p.docs.astype(np.int64) + s for p, s in zip(self.parts, self.starts)]))
        return np.setdiff1d(docs, self.hidden, assume_unique=True) if len(self.hidden) else docs


class IndexFiles:
    """The postings columns and cards of one index version: its base part and, after incremental updates,
    a delta part (``delta/``) with the documents hidden in the base (``delta/hidden.npy``), memory-mapped."""

    def __init__(self, folder):
        folder = Path(folder)
        self.parts = [Part(folder)]
        self.hidden = np.zeros(0, dtype=np.int64)
        if (folder / DELTA / DIRNAME).is_dir():
            self.parts.append(Part(folder / DELTA))
            self.hidden = np.load(folder / DELTA / HIDDEN).astype(np.int64)
        self.starts = list(np.cumsum([0] + [p.doc_count for p in self.parts[:-1]]).tolist())
        self.size = sum(p.doc_count for p in self.parts)  # document numbers: 0 .. size - 1
        self.doc_count = self.size - len(self.hidden)  # live documents
        self.fields = {name: Field([p.fields[name] for p in self.parts], self.starts, self.hidden)
                       for name in self.parts[0].fields}
        self.keys = {key: self.parts[0].keys[key] if len(self.parts) == 1 else
                     np.concatenate([p.keys[key] for p in self.parts]) for key in SORT_KEYS}
        self.live = np.ones(self.size, dtype=bool)  # False for the base documents the delta hides
        self.live[self.hidden] = False
        self.id_rank = id_ranks(self.fields["id"], self.size)  # ties broken as the cards' sort did

    def card(self, docnum: int) -> dict:
        part = bisect.bisect_right(self.starts, docnum) - 1
        return json.loads(self.parts[part].card_bytes(docnum - self.starts[part]))


def id_ranks(ids: Field, size: int) -> np.ndarray:
    """Each document's rank in the order of the documents' ids (a hidden one beside its successor)."""
    base = ids.parts[0]
    order = base.docs.astype(np.int64)  # one document per id term, in term order
    if len(ids.parts) > 1:
        delta = ids.parts[1]
        at = [bisect.bisect_left(base.terms, delta.terms[i]) for i in range(delta.terms.n)]
        # base term i at 2i + 1, a delta term at 2 * (the base terms before it): stable, so in its own order
        by_id = np.argsort(np.r_[2 * np.arange(base.terms.n) + 1, 2 * np.array(at, dtype=np.int64)], kind="stable")
        order = np.concatenate([order, delta.docs.astype(np.int64) + ids.starts[1]])[by_id]
    rank = np.empty(size, dtype=np.int32)
    rank[order] = np.arange(size, dtype=np.int32)
    return rank
