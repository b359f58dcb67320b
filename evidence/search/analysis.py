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


#: Analyzer name -> analyzer, for :class:`CachedPositions` (one instance each: its caches).
ANALYZERS = {"da": danish, "en": english, "plain": plain}


@functools.lru_cache(maxsize=8)
def _analyzer(name: str):
    return ANALYZERS[name]()


def _analyze_line(name: str, line: str) -> tuple:
    """``(terms, first, raw)`` of one line by the analyzer itself (see :func:`_line`)."""
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


@functools.lru_cache(maxsize=8)
def _fused(name: str):
    """The analyzer named ``name`` as plain data for :func:`_fused_line`: ``(regex, stops, min, max,
    stem)``, or None when its chain is not tokenizer | lower-case | [stop | stem |] fold."""
    items = _analyzer(name).items
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
    if stem is not None:
        stemfn = stemmer_for_language(stem.lang) if stem.lang else stem.stemfn
        memo: dict[str, str] = {}

        def stemmed(word, memo=memo, stemfn=stemfn):
            out = memo.get(word)
            if out is None:
                out = memo[word] = stemfn(word)
            return out
    else:
        stemmed = None
    return (items[0].expression, stop.stops if stop else None, stop.min if stop else 0,
            stop.max if stop else None, stemmed)


def _fused_line(name: str, line: str):
    """What :func:`_analyze_line` returns, computed without Whoosh's token objects and generators
    (the same regular expression, lower-casing, stop list, stemmer and folding), or None when the
    analyzer's chain is not one this knows (``tests/search/test_cached_positions.py`` compares them)."""
    spec = _fused(name)
    if spec is None:
        return None
    expression, stops, minsize, maxsize, stem = spec
    words = expression.findall(line)
    kept: dict[str, list[int]] = {}
    first = None
    k = 0
    for i, word in enumerate(words):
        word = word.lower()
        if stops is not None:
            if len(word) < minsize or (maxsize is not None and len(word) > maxsize) or word in stops:
                continue
            word = stem(word)
        if first is None:
            first = i
        word = fold(word)
        ks = kept.get(word)
        if ks is None:
            kept[word] = [k]
        else:
            ks.append(k)
        k += 1
    return tuple((text, tuple(ks)) for text, ks in kept.items()), first, len(words)


@functools.lru_cache(maxsize=131072)  # labels, synonyms and descriptions repeat in thousands of documents
def _line(name: str, line: str) -> tuple:
    """``(terms, first, raw)`` of one line: each term with its kept-token indexes, the
    position of the first kept token, and the number of tokens before stop words."""
    fused = _fused_line(name, line)
    return fused if fused is not None else _analyze_line(name, line)


@functools.lru_cache(maxsize=131072)
def _line_bytes(name: str, line: str) -> tuple:
    """:func:`_line` for :meth:`CachedPositions.index_terms`: ``(singles, multis, first, kept, raw)``
    with the terms as UTF-8 bytes, those seen once (``(term, index)``) apart from the others
    (``(term, indexes)``), and ``kept`` the number of kept tokens."""
    terms, first, raw = _line(name, line)
    singles = tuple((text.encode("utf-8"), ks[0]) for text, ks in terms if len(ks) == 1)
    multis = tuple((text.encode("utf-8"), ks) for text, ks in terms if len(ks) > 1)
    kept = 1 + max((ks[-1] for _, ks in terms), default=-1)
    return singles, multis, first, kept, raw


@functools.lru_cache(maxsize=65536)
def _encoded(poslist: tuple) -> bytes:
    return Positions.encode(None, poslist)


_ONE: dict[int, bytes] = {}  # position -> the encoding of that one position


def _encode_list(poslist: list) -> bytes:
    """``Positions.encode(poslist)``, the same bytes."""
    if len(poslist) == 1:
        pos = poslist[0]
        out = _ONE.get(pos)
        if out is None:
            out = _ONE[pos] = Positions.encode(None, poslist)
        return out
    return _encoded(tuple(poslist))


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
        for term, freq, weight, vbytes in self.index_terms(value):
            yield term.decode("utf-8"), freq, weight, vbytes

    def index_terms(self, value: str) -> list[tuple]:
        """What ``field.index(value)`` yields for a text field of this format (``(term bytes, frequency,
        weight, encoded positions)`` per distinct term), as a list, in one pass over the cached lines."""
        poses: dict[bytes, list[int]] = {}
        get = poses.get
        pos = -1  # position of the last kept token so far (-1: none yet)
        raw_base = 0  # tokens (stop words included) before this line
        name = self.analysis
        for line in value.split("\n"):
            singles, multis, first, kept, raw = _line_bytes(name, line)
            if kept:
                start = raw_base + first if pos < 0 else pos + 1
                for text, k in singles:
                    lst = get(text)
                    if lst is None:
                        poses[text] = [start + k]
                    else:
                        lst.append(start + k)
                for text, ks in multis:
                    lst = get(text)
                    if lst is None:
                        poses[text] = [start + k for k in ks]
                    else:
                        lst.extend([start + k for k in ks])
                pos = start + kept - 1
            raw_base += raw
        fb = self.field_boost
        return [(w, len(p), len(p) * fb, _encode_list(p)) for w, p in poses.items()]
