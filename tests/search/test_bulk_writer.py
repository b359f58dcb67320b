"""The bulk writer writes the index Whoosh's own writer writes; the fused analysis is the analyzers'."""

from __future__ import annotations

import re

from whoosh import index
from whoosh.writing import SegmentWriter

from evidence import build as build_module
from evidence.search import analysis
from evidence.search.bulk import BulkWriter
from evidence.search.documents import documents, merge_spellings, spellings
from evidence.search.schema import make_schema

TRICKY = ["", "İstanbul ÆBLE o'neil 3.5 a.b.c x y z the THE Of", "og i de", "Hjemløse unge og kriminalitet",
          "é É ß ǅ ﬁnal ½ ² Malmö Århus", "the of and", "  spaces\tand\ttabs  ", "I a A æ"]


def _content(path) -> tuple:
    """Everything a search can read: every term's statistics and postings, lengths, stored fields."""
    ix = index.open_dir(str(path))
    with ix.reader() as r:
        terms = {}
        for key in r.all_terms():
            ti = r.term_info(*key)
            m = r.postings(*key)
            posts = []
            while m.is_active():
                posts.append((m.id(), m.weight(), m.value()))
                m.next()
            terms[key] = ((ti.weight(), ti.doc_frequency(), ti.min_length(), ti.max_length(), ti.max_weight(),
                           ti.min_id(), ti.max_id()), posts)
        n = r.doc_count_all()
        names = ix.schema.names()
        lengths = {f: [r.doc_field_length(d, f) for d in range(n)] for f in names}
        stored = [r.stored_fields(d) for d in range(n)]
        totals = {f: r.field_length(f) for f in names}
    ix.close()
    return terms, lengths, stored, totals, n


def _write(path, writer_class, docs) -> None:
    path.mkdir()
    ix = index.create_in(str(path), make_schema())
    writer = writer_class(ix)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    assert len(ix._segments()) == 1
    ix.close()


def test_bulk_writer_writes_what_whoosh_writes(tmp_path, data_dir):
    docs = documents(build_module.prepare(data_dir))
    docs = docs + [dict(d, id=d["id"] + "-copy") for d in docs]  # values repeat, as at scale
    _write(tmp_path / "whoosh", SegmentWriter, docs)
    _write(tmp_path / "bulk", BulkWriter, docs)
    expected = _content(tmp_path / "whoosh")
    assert expected[0]  # terms
    assert _content(tmp_path / "bulk") == expected


def test_fused_analysis_equals_the_analyzers(data_dir):
    docs = documents(build_module.prepare(data_dir))
    lines = set(TRICKY)
    for doc in docs:
        for name in ("da", "en", "words", "title", "author", "intervention", "target", "outcome", "design"):
            lines.update(doc[name].split("\n"))
    for name in analysis.ANALYZERS:
        assert analysis._fused(name) is not None
        for line in lines:
            assert analysis._fused_line(name, line) == analysis._analyze_line(name, line), (name, line)


def test_spellings_read_each_line_once_with_the_same_result():
    docs = [{"words": "Århus aarhus\nMalmö"}, {"words": "aarhus Aarhus\nMalmo malmö\nÅrhus"},
            {"words": "Malmö\nzebra 1234 ab Zebra"}]
    expected: dict[str, str] = {}
    for doc in docs:  # the definition: every word of every document, in order
        for word in re.findall(r"\w+", doc["words"].lower()):
            if len(word) >= 3 and not word.isdigit():
                key = analysis.fold(word)
                if key not in expected or (expected[key].isascii() and not word.isascii()):
                    expected[key] = word
    assert spellings(docs) == expected and list(spellings(docs)) == list(expected)
    assert merge_spellings(spellings(docs[:1]), spellings(docs[1:])) == expected
