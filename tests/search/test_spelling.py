"""Spelling suggestions: the fast path gives the answers of Whoosh's ``suggest`` and ``difflib`` over every word."""

from __future__ import annotations

import difflib
import random

import pytest
from whoosh import fields
from whoosh.filedb.filestore import RamStorage

from evidence.search import spelling
from evidence.search.analysis import fold
from evidence.search.reader import holder_for
from evidence.search.service import search


def reference(searcher, spellings: dict, word: str) -> list[str]:
    """What the search service did before the fast path: Whoosh's suggestion, else difflib over every known word."""
    return searcher.suggest("words", word, limit=1, maxdist=1 if len(word) < 6 else 2) or \
        difflib.get_close_matches(word, list(spellings), n=1, cutoff=0.85)


def typos(known: list[str], reader, n: int, seed: int = 7) -> list[str]:
    """Misspellings of known words (a letter dropped, added, changed, swapped, appended) and random consonants."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyzæøåé"
    out: set[str] = set()
    while len(out) < n:
        w, kind = rng.choice(known), rng.random()
        i = rng.randrange(len(w))
        if kind < 0.2:
            w = w[:i] + w[i + 1:]
        elif kind < 0.4:
            w = w[:i] + rng.choice(letters) + w[i:]
        elif kind < 0.6:
            w = w[:i] + rng.choice(letters) + w[i + 1:]
        elif kind < 0.75 and i + 1 < len(w):
            w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        elif kind < 0.9:
            w = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randrange(3, 14)))
        else:
            w = w + rng.choice(letters) + rng.choice(letters)
        w = fold(w)
        if len(w) >= 3 and not w.isdigit() and ("words", w) not in reader:
            out.add(w)
    return sorted(out)


def test_suggestions_are_the_ones_over_every_word(built_settings):
    opened = holder_for(built_settings.index_dir).current()
    searcher = opened.searcher()
    reader = searcher.reader()
    spellings = opened.meta["spellings"]
    speller = spelling.Speller(reader, spellings)
    words = typos(sorted(spellings), reader, 300)
    found = 0
    for word in words:
        expected = reference(searcher, spellings, word)
        assert (speller.suggest(reader, word) or speller.close_matches(word)) == expected, word
        found += bool(expected)
    assert found > 150  # the comparison covers real corrections, not only "no suggestion"


def test_a_multi_segment_index_keeps_whooshs_distance():
    """Whoosh tests each term of a multi-segment reader with Damerau-Levenshtein (a swap is one edit)."""
    ix = RamStorage().create_index(fields.Schema(words=fields.TEXT()))
    for batch in (["recidivism offenders employment"], ["reoffending programme programmes housing"]):
        with ix.writer() as writer:
            for text in batch:
                writer.add_document(words=text)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert not reader.is_atomic()
        speller = spelling.Speller(reader, {})
        for word in ("recidivsim", "ofenders", "progarmme", "housign", "hosuing", "emplyoment", "zzzzzz"):
            assert speller.suggest(reader, word) == \
                searcher.suggest("words", word, limit=1, maxdist=spelling.maxdist(word)), word


def test_letter_counts_never_drop_a_candidate():
    letters = spelling.Letters(["aaa", "abc", "cab", "b" * 300, "xyz"])
    assert letters.within("acb", 1) == ["abc", "cab"]  # "aaa" shares one letter: two edits at least
    assert letters.within("b" * 250, 50) == ["b" * 300]  # its count of b is kept at 255, enough to tell
    assert letters.within("b" * 400, 1) == letters.words  # too many repeats to count: every word is tested
    assert letters.similar("abd", 0.6) == ["abc", "cab"]


def test_the_search_suggests_and_caches_per_index_version(built_settings):
    opened = holder_for(built_settings.index_dir).current()
    result = search(opened, "recidivsm offendres")
    assert [s.q for s in result.suggestions if s.kind == "spelling"] == ["recidivism offenders"]
    assert opened.spelling.get("recidivsm") == "recidivism"
    assert spelling.speller(opened, None, {}) is spelling.speller(opened, None, {})


@pytest.mark.parametrize("word", ["tilbagefal", "hjemloshed"])
def test_danish_words_are_suggested_as_written(built_settings, word):
    opened = holder_for(built_settings.index_dir).current()
    spellings = opened.meta["spellings"]
    result = search(built_settings.index_dir, word)
    expected = reference(opened.searcher(), spellings, word)
    if expected:
        assert result.suggestions[0].q == spellings.get(expected[0], expected[0])
