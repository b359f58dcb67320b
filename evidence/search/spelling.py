"""Spelling suggestions for the words of a query that match nothing (three letters or more, not a number).

The suggestion is, as it always was, Whoosh's own (``searcher.suggest("words", word, limit=1,
maxdist=...)``: the term within edit distance 1, or 2 from six letters, with the highest frequency),
else ``difflib.get_close_matches(word, known words, n=1, cutoff=0.85)`` over the corpus's folded words
(``meta["spellings"]``); the word as written in the corpus replaces it in the query. Both are computed
exactly without testing every word in Python (at 20k studies, ~39,000 words: a second per word): a
word within distance *d* of another shares all but *d* of its letters, and ``difflib``'s ratio reaches
0.85 only when its ``quick_ratio`` of shared letters does, so the words are a matrix of letter counts
(:class:`Letters`) that a few ``numpy.minimum`` narrow to the few that go to the exact tests.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from whoosh.support.levenshtein import levenshtein

from .analysis import fold

FIELD = "words"
CUTOFF = 0.85  # difflib's similarity a known word needs
_MISSING = object()


def maxdist(word: str) -> int:
    """The edit distance Whoosh may correct ``word`` by."""
    return 1 if len(word) < 6 else 2


class Letters:
    """Words and their letter counts: how many letters (with repetition) a word shares with each."""

    def __init__(self, words: list[str]):
        self.words = words
        self.lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        joined = "".join(words)
        alphabet = sorted(set(joined))
        self.row = {ch: i for i, ch in enumerate(alphabet)}
        codes = np.array([self.row[ch] for ch in joined], dtype=np.int64)
        owner = np.repeat(np.arange(len(words), dtype=np.int64), self.lengths)
        counts = np.bincount(codes * len(words) + owner, minlength=len(alphabet) * len(words))
        # One row per letter. A count above 255 is kept at 255; ``shared`` never relies on it.
        self.counts = np.minimum(counts, 255).astype(np.uint8).reshape(len(alphabet), len(words))

    def shared(self, word: str) -> np.ndarray | None:
        """Letters ``word`` shares with each word (None when a letter repeats too often to tell)."""
        out = np.zeros(len(self.words), dtype=np.int64)
        for ch, n in Counter(word).items():
            if n > 255:
                return None
            row = self.row.get(ch)
            if row is not None:
                out += np.minimum(self.counts[row], n)
        return out

    def within(self, word: str, dist: int) -> list[str]:
        """The words an edit distance of ``dist`` could reach: no more than ``dist`` letters to remove or add."""
        return self.passing(word, lambda shared: np.maximum(self.lengths, len(word)) - shared <= dist)

    def similar(self, word: str, cutoff: float) -> list[str]:
        """The words whose ``difflib`` quick ratio with ``word`` reaches ``cutoff`` (a bound on the ratio)."""
        return self.passing(word, lambda shared: 2.0 * shared / (self.lengths + len(word)) >= cutoff - 1e-9)

    def passing(self, word: str, test) -> list[str]:
        shared = self.shared(word)
        return self.words if shared is None else [self.words[i] for i in np.flatnonzero(test(shared))]


@dataclass
class Suggestion:
    kind: str  # "spelling" (use ``q``) or "remove_filter" (drop ``facet``=``value``)
    q: str | None = None
    facet: str | None = None
    value: str | None = None
    count: int | None = None


class Speller:
    """The index's terms (for Whoosh's suggestion) and the corpus's words (for ``difflib``) of one index version."""

    def __init__(self, files, spellings: dict):
        self.columns = files.fields[FIELD]
        known = {word: word for word in spellings}  # the same string objects for the words both lists hold
        self.terms = Letters([known.get(t, t) for t in (t.decode("utf-8") for t in self.columns.between(b"", None))])
        self.known = Letters(list(known))

    def suggest(self, word: str) -> list[str]:
        """``searcher.suggest(FIELD, word, limit=1, maxdist=maxdist(word))`` of a one-segment Whoosh index.

        Whoosh scores every term within the (Levenshtein) distance alike, then by frequency
        (``f or 1``), and keeps the greatest ``(score, term)``.
        """
        dist = maxdist(word)
        scored = [(0 - (dist + (1.0 / (self.columns.frequency(term.encode("utf-8")) or 1) * 0.5)), term)
                  for term in self.terms.within(word, dist) if levenshtein(term, word, limit=dist) <= dist]
        return [max(scored)[1]] if scored else []

    def close_matches(self, word: str) -> list[str]:
        """``difflib.get_close_matches(word, every known word, n=1, cutoff=CUTOFF)``, the same answer."""
        return difflib.get_close_matches(word, self.known.similar(word, CUTOFF), n=1, cutoff=CUTOFF)


def speller(opened) -> Speller:
    """The open index's :class:`Speller`, made once per index version (a server's master makes it before forking)."""
    return opened.once("speller", lambda: Speller(opened.files, opened.meta.get("spellings", {})))


def suggest_spellings(opened, parsed, spellings: dict) -> list[Suggestion]:
    """A spelling suggestion for the query when some of its words are not in the index (or none)."""
    columns = opened.files.fields[FIELD]
    corrections = {}  # folded word -> the word as written in the corpus
    for word in parsed.words:
        if len(word) < 3 or word.isdigit() or columns.has(word.encode("utf-8")):
            continue
        replacement = opened.spelling.get(word, _MISSING)
        if replacement is _MISSING:
            found = speller(opened)
            options = found.suggest(word) or found.close_matches(word)
            replacement = spellings.get(options[0], options[0]) if options else None
            opened.spelling.put(word, replacement)
        if replacement:
            corrections[word] = replacement
    text = re.sub(r"\w+", lambda m: corrections.get(fold(m.group(0)), m.group(0)), parsed.used)
    return [Suggestion("spelling", q=text)] if corrections else []
