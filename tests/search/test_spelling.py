"""Spelling suggestions: the fast path gives the answers of Whoosh's ``suggest`` and ``difflib`` over every word."""

from __future__ import annotations

import difflib
import random

import pytest
from whoosh.filedb.filestore import RamStorage
from whoosh.support.levenshtein import levenshtein

from evidence import build as build_module
from evidence.search import indexer, spelling
from evidence.search.analysis import fold
from evidence.search.documents import documents
from evidence.search.reader import IndexHolder, holder_for
from evidence.search.schema import make_schema
from evidence.services.search import search


def reference(opened, spellings: dict, word: str) -> list[str]:
    """Whoosh's suggestion computed over every term (each within the distance scores ``-(dist + 0.5 / f)``,
    the greatest ``(score, term)`` wins), else difflib over every known word."""
    columns = opened.files.fields["words"]
    dist = spelling.maxdist(word)
    scored = [(0 - (dist + (1.0 / (columns.frequency(t) or 1) * 0.5)), t.decode())
              for t in columns.between(b"", None) if levenshtein(t.decode(), word, limit=dist) <= dist]
    return [max(scored)[1]] if scored else difflib.get_close_matches(word, list(spellings), n=1, cutoff=0.85)


class _Known:
    def __init__(self, opened):
        self.words = opened.files.fields["words"]

    def __contains__(self, item):
        return self.words.has(item[1].encode())


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
    spellings = opened.meta["spellings"]
    speller = spelling.Speller(opened.files, spellings)
    words = typos(sorted(spellings), _Known(opened), 300)
    found = 0
    for word in words:
        expected = reference(opened, spellings, word)
        assert (speller.suggest(word) or speller.close_matches(word)) == expected, word
        found += bool(expected)
    assert found > 150  # the comparison covers real corrections, not only "no suggestion"


def test_the_suggestion_is_whooshs_own(tmp_path, data_dir):
    """Whoosh's ``searcher.suggest`` over a one-segment index of the same documents gives the same words."""
    prepared = build_module.prepare(data_dir)
    indexer.write_index(tmp_path / "index", prepared)
    opened = IndexHolder(tmp_path / "index").current()
    ix = RamStorage().create_index(make_schema())
    with ix.writer() as writer:
        for doc in documents(prepared):
            writer.add_document(**doc)
    speller = spelling.Speller(opened.files, {})
    with ix.searcher() as searcher:
        for word in typos(sorted(opened.meta["spellings"]), _Known(opened), 120, seed=3):
            assert speller.suggest(word) == \
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
    assert opened.once("speller", lambda: None) is opened.once("speller", lambda: None) is not None


@pytest.mark.parametrize("word", ["tilbagefal", "hjemloshed"])
def test_danish_words_are_suggested_as_written(built_settings, word):
    opened = holder_for(built_settings.index_dir).current()
    spellings = opened.meta["spellings"]
    result = search(built_settings.index_dir, word)
    expected = reference(opened, spellings, word)
    if expected:
        assert result.suggestions[0].q == spellings.get(expected[0], expected[0])
