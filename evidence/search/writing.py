"""Writing a part of the index (:mod:`.store` describes its files): documents in, in order, analysed
straight into term ids; at the end each field's postings sorted by term and saved, after the
postings of the documents kept from older parts (an update's delta, or a fold into a new base).
"""

from __future__ import annotations

import json
from array import array
from pathlib import Path

import numpy as np
from whoosh import fields

from ..arrays import stable_argsort
from ..outputs import save_array
from .analysis import WORDS, analyse_word
from .schema import TEXT_ANALYSIS
from .store import DIRNAME, MANIFEST, SORT_KEYS, VERSION

#: Fields whose whole values repeat across documents (the vocabulary's labels): analysed once per value.
REPEATING = frozenset({"intervention", "target", "outcome", "design", "country"})
#: Tokens per block when a field's tokens are sorted into postings (:func:`_postings`).
POSTINGS_BLOCK = 1 << 21
_LINE_CACHE = 20_000  # distinct lines remembered per analyzer (cleared when full: labels repeat, abstracts do not)
_WORD_CACHE = 1 << 20  # distinct words remembered per analyzer (cleared when full; Zipf: nearly every word is a hit)
DROPPED = -1  # the term id of a stop word


def field_kind(field) -> str:
    return "numeric" if isinstance(field, fields.NUMERIC) else "text" if isinstance(field, fields.TEXT) else "id"


class _Vocabulary:
    """Term ids of one analyzer (or of one id/numeric field), and its lines and words analysed once each."""

    def __init__(self, analysis: str | None, split: dict):
        self.analysis, self.split = analysis, split  # split: a document's lines as words (its writer's)
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.lines: dict[str, tuple] = {}
        self.values: dict[str, tuple] = {}  # whole values of the REPEATING fields
        self.words: dict[str, int] = {}  # a word as written -> its term's id (DROPPED: a stop word)

    def ids_of(self, terms) -> list[int]:
        ids, out = self.ids, []
        for t in terms:
            i = ids.get(t)
            if i is None:
                i = ids[t] = len(self.terms)
                self.terms.append(t)
            out.append(i)
        return out

    def line(self, line: str) -> tuple[list, int, int]:
        """``(term ids, first, raw)``: the kept terms' ids, the token index of the first kept one (stop words
        count, as ``StopFilter(renumber=True)`` numbers them), the tokens before stop words go."""
        if (words := self.split.get(line)) is None:  # a title or abstract is in three analyzers' fields: split once
            words = self.split[line] = WORDS.findall(line)
        ids = list(map(self.words.get, words))
        if None in ids:
            ids = [self.new_word(w) if i is None else i for w, i in zip(words, ids)]
        kept = [i for i in ids if i != DROPPED] if DROPPED in ids else ids
        return kept, ids.index(kept[0]) if kept else 0, len(words)

    def new_word(self, word: str) -> int:
        """The term id of a word not seen yet (DROPPED: a stop word), remembered for its next time."""
        lower = word.lower()  # the analysers lower-case first: "The" is "the", stemmed once (titles are capitalised)
        if (i := self.words.get(lower)) is None:
            i = DROPPED if (term := analyse_word(self.analysis, lower)) is None else self.ids_of([term])[0]
        if len(self.words) >= _WORD_CACHE:
            self.words.clear()
        self.words[word] = self.words[lower] = i
        return i

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
                if len(self.lines) >= _LINE_CACHE:
                    self.lines.clear()
                seq = self.lines[line] = self.line(line)
            if seq[0]:
                first = raw_base + seq[1] if first is None else first
                ids.extend(seq[0])
            raw_base += seq[2]
        hit = (ids, first or 0)
        if repeating:
            self.values[text] = hit
        return hit


class Writer:
    """Documents in, in order (:meth:`add`, or another writer's :meth:`drain` by :meth:`absorb`); a part's
    columns and cards out (:meth:`write`)."""

    def __init__(self, schema):
        self.schema = schema
        self.kinds = {name: field_kind(schema[name]) for name in schema.names() if schema[name].indexed}
        # a vocabulary per analyzer (its text fields share it) and per other field, by a name all writers use
        self.vocabulary_of = {name: f"text:{TEXT_ANALYSIS[name]}" if kind == "text" else name
                              for name, kind in self.kinds.items()}
        self.split: dict[str, list] = {}
        self.shared = {key: _Vocabulary(key[5:] if key.startswith("text:") else None, self.split)
                       for key in set(self.vocabulary_of.values())}
        self.vocabularies = {name: self.shared[key] for name, key in self.vocabulary_of.items()}
        self.sent = dict.fromkeys(self.shared, 0)  # terms of each vocabulary already given by drain()
        self.remaps: dict[tuple, np.ndarray] = {}  # (source, vocabulary) -> its term ids as this writer's
        self.clear()

    def clear(self) -> None:
        # per field: every token's term id, and per document its number of tokens and first position
        self.tokens, self.lengths, self.first = ({name: array(code) for name in self.kinds} for code in "iII")
        self.cards: list[bytes] = []
        self.keys = {key: array(dtype) for key, (_, _, dtype) in SORT_KEYS.items()}

    def drain(self) -> dict:
        """What was added since the last drain, for another writer's :meth:`absorb` (in another process:
        plain arrays and strings); this writer keeps its vocabularies, so words stay analysed once."""
        terms = {key: vocabulary.terms[self.sent[key]:] for key, vocabulary in self.shared.items()}
        self.sent = {key: len(vocabulary.terms) for key, vocabulary in self.shared.items()}
        out = {"terms": terms, "tokens": self.tokens, "lengths": self.lengths, "first": self.first,
               "cards": self.cards, "keys": self.keys}
        self.clear()
        return out

    def absorb(self, batch: dict, source) -> None:
        """Add the documents of ``batch`` (:meth:`drain` of the writer ``source`` names; its batches in
        the order it drained them) after this writer's own."""
        for key, new in batch["terms"].items():
            known = self.remaps.get((source, key), np.zeros(0, np.int32))
            self.remaps[source, key] = np.concatenate([known, np.array(self.shared[key].ids_of(new), np.int32)])
        for name in self.kinds:
            remap = self.remaps[source, self.vocabulary_of[name]]
            self.tokens[name].frombytes(remap[np.frombuffer(batch["tokens"][name], np.int32)].tobytes())
            self.lengths[name].extend(batch["lengths"][name])
            self.first[name].extend(batch["first"][name])
        self.cards.extend(batch["cards"])
        for key, values in batch["keys"].items():
            self.keys[key].extend(values)

    def add(self, doc: dict) -> None:
        self.split.clear()
        for name, kind in self.kinds.items():
            value, vocabulary, field = doc.get(name), self.vocabularies[name], self.schema[name]
            if value is None:
                ids, first = [], 0
            elif kind == "text":
                ids, first = vocabulary.value(value, name in REPEATING)
            elif kind == "numeric":  # the value's one sortable term (shift 0)
                ids, first = vocabulary.ids_of([field.to_bytes(value).decode("latin-1")]), 0
            else:  # a list of facet values, or an id (an ID field's one term is its whole value)
                values = value if isinstance(value, list) else [value]
                ids, first = vocabulary.ids_of(sorted(set(values))), 0
            self.tokens[name].extend(ids)
            self.lengths[name].append(len(ids))
            self.first[name].append(first)
        self.cards.append(json.dumps(doc["card"], ensure_ascii=False).encode("utf-8"))
        for key, (card_key, missing, _) in SORT_KEYS.items():
            value = doc["card"].get(card_key)
            self.keys[key].append(missing if value is None else value)

    def write(self, folder: Path, sources=()) -> None:
        """Write a part into ``folder/postings``: the documents ``keep`` (a boolean mask) of each
        ``(Part, keep)`` of ``sources`` in order, renumbered, then the documents added here (whose
        tokens are dropped as they are written: a writer writes once)."""
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
            columns = (np.frombuffer(self.tokens[name], np.int32), np.frombuffer(self.lengths[name], np.uint32),
                       np.frombuffer(self.first[name], np.uint32))
            encoding = "latin-1" if kind == "numeric" else "utf-8"  # a year's sortable term is bytes as latin-1
            postings = _postings([t.encode(encoding) for t in self.vocabularies[name].terms], *columns, base)
            _write_field(target, name, kind, postings if merged is None else _merge(merged, postings))
            del postings, merged
            self.tokens[name] = array("i")  # written: a full build's largest field goes last, with the rest freed
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


def _postings(terms: list[bytes], tok: np.ndarray, lengths: np.ndarray, first: np.ndarray, base: int) -> tuple:
    """Tokens (term ids into ``terms``, in document order; each document's count and first position;
    documents numbered from ``base``) as postings: ``(sorted terms, term index per posting, document,
    count, positions per posting in order)``."""
    used = np.flatnonzero(np.bincount(tok, minlength=len(terms)))  # the terms used, in id order (as np.unique)
    everything = sorted(terms[i] for i in used.tolist())
    index = {t: i for i, t in enumerate(everything)}
    table = np.zeros(len(terms), dtype=np.int32)
    table[used] = [index[terms[i]] for i in used.tolist()]
    term = table[tok]
    ends = np.cumsum(lengths, dtype=np.int64)  # a token's document and position come from its index
    starts = ends - lengths - first  # (the index of a document's position 0)
    top = int((lengths.astype(np.int64) + first - 1)[lengths > 0].max(initial=0))  # the last position
    # Sorted by term a block of terms at a time (blocks of about POSTINGS_BLOCK tokens, in term order):
    # a sort of the whole field, or a document and a position per token, would hold several arrays per
    # token at once (at 100k studies, GBs). Within a term: documents, then positions, as added; so the
    # blocks joined are the whole sort.
    per_term = np.bincount(term, minlength=len(everything))
    block_of = (np.cumsum(per_term) - per_term) // POSTINGS_BLOCK  # each term's block, by its first token
    edges = np.searchsorted(block_of, np.arange(int(block_of[-1]) + 2 if len(block_of) else 1))
    count = len(edges) - 1
    blocks = np.repeat(np.arange(count, dtype=np.min_scalar_type(count)), np.diff(edges))[term] if count > 1 else None
    sorted_pos = np.empty(len(term), dtype=_narrow(np.array([top])).dtype)
    # at most a posting per token: filled in place, not joined from pieces (an untouched tail costs nothing)
    out_term, out_doc, out_count = (np.empty(len(term), dtype) for dtype in (np.int32, np.int32, np.uint32))
    filled = done = 0
    for k in range(max(count, 1)):
        at = np.flatnonzero(blocks == k) if blocks is not None else np.arange(len(term))
        at = at[stable_argsort(term[at])]
        d = np.searchsorted(ends, at, side="right")
        sorted_pos[filled:filled + len(at)] = at - starts[d]
        filled += len(at)
        t = term[at]
        begins = np.flatnonzero(np.concatenate([[len(t) > 0], (t[1:] != t[:-1]) | (d[1:] != d[:-1])]))
        out_term[done:done + len(begins)] = t[begins]
        out_doc[done:done + len(begins)] = d[begins] + base
        out_count[done:done + len(begins)] = np.diff(np.append(begins, len(t)))
        done += len(begins)
    return everything, out_term[:done], out_doc[:done], out_count[:done], sorted_pos


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
              "offsets": offsets, "docs": doc.astype(np.int32, copy=False), "counts": _narrow(counts)}
    if kind == "text":  # where each term's positions start: the tokens of the terms before it
        tokens = np.add.reduceat(counts, offsets[:-1], dtype=np.int64) if len(everything) else []
        arrays["pos_offsets"] = np.concatenate([[0], np.cumsum(tokens, dtype=np.int64)])
        arrays["positions"] = _narrow(positions)
    for key, values in arrays.items():
        save_array(folder / f"{name}.{key}.npy", values)


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative integers in the smallest of uint16 / uint32 / int64 that holds them."""
    top = int(values.max()) if len(values) else 0
    return values.astype(np.uint16 if top < 1 << 16 else np.uint32 if top < 1 << 32 else np.int64, copy=False)
