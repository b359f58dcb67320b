"""Analyzers: Danish and English stemming, and folding of æ/ø/å and accents.

Folding maps every spelling to plain ASCII *after* stemming, so "hjemløse",
"hjemloese" and "hjemløshed" meet in one term (``hjemloes``), "Århus" and
"Aarhus" match, and "é" matches "e". The Danish Snowball stemmer needs the
real letters, so it runs first; a word typed in the aa/oe/ae spelling is
stemmed as it is and folds to the same ASCII form.

The analyzers are Whoosh's (its tokenizer, stop lists and Snowball stemmers), used through their public
interface: the query parser calls them. The index splits text by :data:`WORDS` and analyses each distinct
word once (:func:`analyse_word`: lower case, stop list, stemmer, folding without Whoosh's token objects;
``tests/search/test_store.py`` checks the index's lines equal to the analyzers').
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


_stemmer = functools.lru_cache(maxsize=8)(stemmer_for_language)  # one Snowball stemmer per language


def analyse_word(name: str, word: str) -> str | None:
    """The term the analyzer ``name`` keeps of one word (a :data:`WORDS` match), or None for a stop word."""
    word, lang = word.lower(), LANGUAGES[name]
    if lang is not None:
        stop = next(f for f in analyzer(name).items if isinstance(f, StopFilter))  # its list and shortest word
        if len(word) < stop.min or word in stop.stops:
            return None
        word = _stemmer(lang)(word)
    return fold(word)
