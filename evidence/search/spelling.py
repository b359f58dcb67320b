"""Spelling suggestions for the words of a query that match nothing.

For each word of the query that is not in the index (three letters or more, not a number), the
suggestion is, as it always was:

1. Whoosh's own: the term of the ``words`` field within edit distance 1 (words of up to five
   letters) or 2 of it with the highest collection frequency, ties to the greater word — what
   ``searcher.suggest("words", word, limit=1, maxdist=...)`` answers;
2. else ``difflib.get_close_matches(word, known words, n=1, cutoff=0.85)`` over the folded words
   of the corpus (``meta["spellings"]``);

and the word as written in the corpus replaces it in the query. Testing every word of the corpus
in Python is too slow (at 20k studies, ~39,000 words: a second per misspelt word), so rapidfuzz's
C++ matching picks the candidates among the words of lengths that can qualify: the terms within
the Levenshtein distance (Whoosh's own distance, so the same set), and the words whose Indel ratio
reaches the cutoff (difflib's ratio counts matching blocks, a common subsequence, so it never
exceeds the Indel ratio's longest one); ``difflib`` itself then decides among those. Corrections
are cached per index version and word in ``opened.spelling``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from .analysis import fold

FIELD = "words"
CUTOFF = 0.85  # difflib's similarity a known word needs
_MISSING = object()


def maxdist(word: str) -> int:
    """The edit distance Whoosh may correct ``word`` by."""
    return 1 if len(word) < 6 else 2


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
        self.terms = by_length(t.decode("utf-8") for t in self.columns.between(b"", None))
        self.known = by_length(spellings)

    def suggest(self, word: str) -> list[str]:
        """``searcher.suggest(FIELD, word, limit=1, maxdist=maxdist(word))`` of a one-segment Whoosh index.

        Whoosh scores every term within the (Levenshtein) distance alike, then by frequency
        (``f or 1``), and keeps the greatest ``(score, term)``.
        """
        dist = maxdist(word)
        best = None
        for term in candidates(self.terms, word, Levenshtein.distance, dist, lambda n: abs(n - len(word)) <= dist):
            f = self.columns.frequency(term.encode("utf-8")) or 1
            item = (0 - (dist + (1.0 / f * 0.5)), term)
            if best is None or item > best:
                best = item
        return [best[1]] if best is not None else []

    def close_matches(self, word: str) -> list[str]:
        """``difflib.get_close_matches(word, every known word, n=1, cutoff=CUTOFF)``, the same answer."""
        found = candidates(self.known, word, fuzz.ratio, CUTOFF * 100 - 1e-6,
                           lambda n: 2 * min(n, len(word)) / (n + len(word)) >= CUTOFF - 1e-9)
        return difflib.get_close_matches(word, found, n=1, cutoff=CUTOFF)


def by_length(words) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for word in words:
        out.setdefault(len(word), []).append(word)
    return out


def candidates(words: dict[int, list[str]], word: str, scorer, cutoff, fits) -> list[str]:
    """The words within ``scorer``'s ``cutoff`` of ``word``, among those of the lengths that ``fits`` allows
    (a distance cannot be below the lengths' difference, nor a ratio above the shorter's share)."""
    return [found for n, group in words.items() if fits(n)
            for found, _, _ in process.extract(word, group, scorer=scorer, score_cutoff=cutoff, limit=None)]


def suggest_spellings(opened, parsed, spellings: dict, lang: str) -> list[Suggestion]:
    """A spelling suggestion for the query when some of its words are not in the index (or none)."""
    columns = opened.files.fields[FIELD]
    text, changed = parsed.used, False
    for word in parsed.words:
        if len(word) < 3 or word.isdigit() or columns.has(word.encode("utf-8")):
            continue
        replacement = opened.spelling.get(word, _MISSING)
        if replacement is _MISSING:
            found = opened.once("speller", lambda: Speller(opened.files, spellings))
            options = found.suggest(word) or found.close_matches(word)
            replacement = spellings.get(options[0], options[0]) if options else None
            opened.spelling.put(word, replacement)
        if replacement:
            text = _replace_word(text, word, replacement)
            changed = True
    return [Suggestion("spelling", q=text)] if changed else []


def _replace_word(text: str, folded: str, replacement: str) -> str:
    return re.sub(r"\w+", lambda m: replacement if fold(m.group(0)) == folded else m.group(0), text)
