"""Analyzers: Danish and English stemming, and folding of æ/ø/å and accents.

Folding maps every spelling to plain ASCII *after* stemming, so "hjemløse",
"hjemloese" and "hjemløshed" meet in one term (``hjemloes``), "Århus" and
"Aarhus" match, and "é" matches "e". The Danish Snowball stemmer needs the
real letters, so it runs first; a word typed in the aa/oe/ae spelling is
stemmed as it is and folds to the same ASCII form.

The analyzers are Whoosh's (its tokenizer, stop lists and Snowball stemmers),
used through their public interface: the query parser calls them, and at index
time :func:`analyse_line` gives one line's terms. Index text is one label,
synonym, description or summary per line, so each distinct line is analysed
once (by :func:`_fused_line`, the same steps without Whoosh's token objects,
checked equal to the analyzer in ``tests/search/test_analysis.py``).
"""

from __future__ import annotations

import functools
import unicodedata

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.lang import stemmer_for_language

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


#: Analyzer name -> analyzer factory.
ANALYZERS = {"da": danish, "en": english, "plain": plain}


@functools.lru_cache(maxsize=8)
def analyzer(name: str):
    """The one analyzer instance of ``name`` (its stemmer's memo lives with it)."""
    return ANALYZERS[name]()


def analyse_line_slowly(name: str, line: str) -> tuple:
    """:func:`analyse_line` by the analyzer itself, token objects and all."""
    ana = analyzer(name)
    kept: list[str] = []
    first = None
    for k, t in enumerate(ana(line, positions=True, mode="index")):
        if first is None:
            first = t.pos
        elif t.pos != first + k:  # not dense: the stop filter does not renumber
            raise AssertionError(f"analyzer {name!r} does not number kept tokens densely")
        kept.append(t.text)
    raw = sum(1 for _ in ana.items[0](line))
    return tuple(kept), first, raw


@functools.lru_cache(maxsize=8)
def _fused(name: str):
    """The analyzer named ``name`` as plain data for :func:`_fused_line`: ``(regex, stops, min, max,
    stem)``, or None when its chain is not tokenizer | lower-case | [stop | stem |] fold."""
    items = analyzer(name).items
    kinds = [type(f) for f in items]
    if len(items) == 3 and kinds == [RegexTokenizer, LowercaseFilter, FoldFilter]:
        stop = stem = None
    elif len(items) == 5 and kinds == [RegexTokenizer, LowercaseFilter, StopFilter, StemFilter, FoldFilter]:
        stop, stem = items[2], items[3]
        if not (stop.renumber and stop.min >= 1) or stem.ignore:
            return None
    else:
        return None
    if items[0].gaps:
        return None
    stemmed = None
    if stem is not None:
        stemfn = stemmer_for_language(stem.lang) if stem.lang else stem.stemfn
        stemmed = functools.lru_cache(maxsize=None)(stemfn)
    return (items[0].expression, stop.stops if stop else None, stop.min if stop else 0,
            stop.max if stop else None, stemmed)


def _fused_line(name: str, line: str):
    """What :func:`analyse_line_slowly` returns, by the same regular expression, lower-casing, stop
    list, stemmer and folding without Whoosh's token objects; None for a chain this does not know."""
    spec = _fused(name)
    if spec is None:
        return None
    expression, stops, minsize, maxsize, stem = spec
    words = expression.findall(line)
    kept: list[str] = []
    first = None
    for i, word in enumerate(words):
        word = word.lower()
        if stops is not None:
            if len(word) < minsize or (maxsize is not None and len(word) > maxsize) or word in stops:
                continue
            word = stem(word)
        if first is None:
            first = i
        kept.append(fold(word))
    return tuple(kept), first, len(words)


def analyse_line(name: str, line: str) -> tuple:
    """``(terms, first, raw)`` of one line: its kept terms in order, the token index of the first kept
    one (stop words before it count, as ``StopFilter(renumber=True)`` numbers them), and the number of
    tokens before stop words are removed. Kept tokens stand at consecutive positions."""
    fused = _fused_line(name, line)
    return fused if fused is not None else analyse_line_slowly(name, line)
