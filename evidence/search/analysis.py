"""Analyzers: Danish and English stemming, and folding of æ/ø/å and accents.

Folding maps every spelling to plain ASCII *after* stemming, so "hjemløse",
"hjemloese" and "hjemløshed" meet in one term (``hjemloes``), "Århus" and
"Aarhus" match, and "é" matches "e". The Danish Snowball stemmer needs the
real letters, so it runs first; a word typed in the aa/oe/ae spelling is
stemmed as it is and folds to the same ASCII form.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.formats import Positions

#: Nordic and German letters that are spelt with two letters in plain ASCII.
DIGRAPHS = {"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ð": "d", "þ": "th"}


@functools.lru_cache(maxsize=262144)  # word frequencies are Zipfian: nearly every call is a hit
def fold(text: str) -> str:
    """Lower-case ASCII spelling: 'Hjemløshed' -> 'hjemloeshed', 'Malmö' -> 'malmoe', 'é' -> 'e'."""
    text = text.lower()
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch in DIGRAPHS:
            out.append(DIGRAPHS[ch])
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)


class FoldFilter(Filter):
    """Replaces each token's text by :func:`fold` of it."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        for t in tokens:
            t.text = fold(t.text)
            yield t


def _tokenizer():
    return RegexTokenizer(r"\w+(?:[.']\w+)*")


def danish():
    """Danish words: stop words out, Snowball stem, then fold."""
    return _tokenizer() | LowercaseFilter() | StopFilter(lang="da") | StemFilter(lang="da") | FoldFilter()


def english():
    """English words: stop words out, Snowball (Porter2) stem, then fold."""
    return _tokenizer() | LowercaseFilter() | StopFilter(lang="en") | StemFilter(lang="en") | FoldFilter()


def plain():
    """Words as written, folded: names, fielded search and spelling suggestions."""
    return _tokenizer() | LowercaseFilter() | FoldFilter()


#: Analyzer name -> analyzer, for :class:`CachedPositions` (one instance each: its caches).
ANALYZERS = {"da": danish, "en": english, "plain": plain}


@functools.lru_cache(maxsize=8)
def _analyzer(name: str):
    return ANALYZERS[name]()


@functools.lru_cache(maxsize=131072)  # labels, synonyms and descriptions repeat in thousands of documents
def _line(name: str, line: str) -> tuple:
    """``(terms, first, raw)`` of one line: each term with its kept-token indexes, the
    position of the first kept token, and the number of tokens before stop words."""
    ana = _analyzer(name)
    kept: dict[str, list[int]] = {}
    first = None
    for k, t in enumerate(ana(line, positions=True, mode="index")):
        if first is None:
            first = t.pos
        elif t.pos != first + k:  # not dense: the stop filter does not renumber
            raise AssertionError(f"analyzer {name!r} does not number kept tokens densely")
        kept.setdefault(t.text, []).append(k)
    raw = sum(1 for _ in ana.items[0](line))
    return tuple((text, tuple(ks)) for text, ks in kept.items()), first, raw


@functools.lru_cache(maxsize=65536)
def _encoded(poslist: tuple) -> bytes:
    return Positions.encode(None, poslist)


class CachedPositions(Positions):
    """Whoosh's ``Positions`` format with the analysis of each line memoised.

    An index document's text is mostly vocabulary labels, synonyms and
    descriptions repeated in thousands of documents, one per line. Each
    distinct line is analysed once (by the analyzer named ``analysis``, which
    must be the field's) and the document's postings are put together from the
    lines' terms, renumbered as analysing the whole text at once would number
    them (the tokenizer's words never span a line break). The postings are the
    same bytes as ``Positions`` writes; reading is ``Positions``' own.
    """

    def __init__(self, analysis: str = "plain", field_boost=1.0, **options):
        super().__init__(field_boost=field_boost, **options)
        self.analysis = analysis

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(value, str) or kwargs.get("mode", "index") != "index" or kwargs.get("start_pos"):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        poses = defaultdict(list)
        pos = None  # position of the last kept token so far
        raw_base = 0  # tokens (stop words included) before this line
        name = self.analysis
        for line in value.split("\n"):
            terms, first, raw = _line(name, line)
            if terms:
                start = raw_base + first if pos is None else pos + 1
                last = start
                for text, ks in terms:
                    lst = poses[text]
                    for k in ks:
                        lst.append(start + k)
                    if start + ks[-1] > last:
                        last = start + ks[-1]
                pos = last
            raw_base += raw
        fb = self.field_boost
        for w, poslist in poses.items():
            yield (w, len(poslist), len(poslist) * fb, _encoded(tuple(poslist)))
