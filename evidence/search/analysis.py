"""Analyzers: Danish and English stemming, and folding of æ/ø/å and accents.

Folding maps every spelling to plain ASCII *after* stemming, so "hjemløse",
"hjemloese" and "hjemløshed" meet in one term (``hjemloes``), "Århus" and
"Aarhus" match, and "é" matches "e". The Danish Snowball stemmer needs the
real letters, so it runs first; a word typed in the aa/oe/ae spelling is
stemmed as it is and folds to the same ASCII form.

The analyzers are Whoosh's (its tokenizer, stop lists and Snowball stemmers),
used through their public interface: the query parser calls them. Index text
is one label, synonym, description or summary per line, so each distinct line
is split by :data:`WORDS` and each distinct word analysed once, by :func:`analyse_word`: the same
regular expression, lower-casing, stop list, stemmer and folding without Whoosh's token objects
(``tests/search/test_store.py`` checks the index's lines equal to the analyzers').
"""

from __future__ import annotations

import functools
import re
import unicodedata

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.lang import stemmer_for_language

#: Nordic and German letters that are spelt with two letters in plain ASCII.
DIGRAPHS = {"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ð": "d", "þ": "th"}
WORD = r"\w+(?:[.']\w+)*"
WORDS = re.compile(WORD)
#: Analyzer name -> the language whose stop words and stemmer it uses (None: words as written).
LANGUAGES = {"da": "da", "en": "en", "plain": None}


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


@functools.lru_cache(maxsize=8)
def analyzer(name: str):
    """The one analyzer named ``name`` (``LANGUAGES``): words, lower case, [stop words out, Snowball
    stem,] fold. One instance per process: its stemmer's memo lives with it."""
    lang = LANGUAGES[name]
    chain = RegexTokenizer(WORD) | LowercaseFilter()
    if lang is not None:
        chain = chain | StopFilter(lang=lang) | StemFilter(lang=lang)
    return chain | FoldFilter()


@functools.lru_cache(maxsize=8)
def _word_steps(name: str):
    """``(stop words, shortest kept word, stem)`` of the analyzer ``name``: the StopFilter's own list
    and minimum, the StemFilter's stemmer (None for ``plain``)."""
    lang = LANGUAGES[name]
    if lang is None:
        return None
    stop = StopFilter(lang=lang)
    return stop.stops, stop.min, stemmer_for_language(lang)


def analyse_word(name: str, word: str) -> str | None:
    """The term the analyzer ``name`` keeps of one word (a :data:`WORDS` match), or None for a stop word."""
    word = word.lower()
    steps = _word_steps(name)
    if steps is not None:
        stops, minsize, stem = steps
        if len(word) < minsize or word in stops:
            return None
        word = stem(word)
    return fold(word)
