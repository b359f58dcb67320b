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

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

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
