"""The index's own columns hold what Whoosh's analyzers give for every document, term and position."""

from __future__ import annotations

import shutil
from collections import defaultdict

import numpy as np
import pytest
from whoosh.util.numeric import byte_to_length, length_to_byte

from evidence.search import analysis, store, writing
from evidence.search.schema import TEXT_ANALYSIS, make_schema

TEXTS = [
    "",
    "og\nThe effect of the intervention\n\nog i de\nHjemløse unge og kriminalitet",
    "the of and\n\nCognitive-behavioural therapy (CBT) for young offenders\nthe the",
    "Multisystemisk terapi MST\nMST\nmultisystemic therapy, Malmö and Århus: 3.5 years' follow-up\n",
    "\n\n\nog\n",
    "randomised randomised RCT\nrandomiseret kontrolleret forsøg\nrandomised",
]


def analysed_by_whoosh(name: str, line: str) -> tuple:
    """What the index's line analysis (``Writer``'s vocabularies) must give, from the analyzer's own tokens."""
    tokens = [(t.text, t.pos) for t in analysis.analyzer(name)(line, positions=True, mode="index")]
    if tokens:  # kept tokens stand at consecutive positions
        assert [p for _, p in tokens] == list(range(tokens[0][1], tokens[0][1] + len(tokens)))
    raw = sum(1 for _ in analysis.analyzer(name).items[0](line))
    return tuple(t for t, _ in tokens), tokens[0][1] if tokens else None, raw


def test_line_analysis_equals_the_analyzers():
    vocabularies = writing.Writer(make_schema()).vocabularies
    for name in analysis.LANGUAGES:
        vocabulary = vocabularies[next(f for f, a in TEXT_ANALYSIS.items() if a == name)]
        for _ in range(2):  # words new to the vocabulary, then every word known
            for text in TEXTS + ["Å the og i de a I 3.5 x-y don't é", "ab an AND DE Ba"]:
                for line in text.split("\n"):
                    ids, first, raw = vocabulary.line(line)
                    terms = tuple(vocabulary.terms[i] for i in ids)
                    assert (terms, first if terms else None, raw) == analysed_by_whoosh(name, line), (name, line)


def docs():
    out = []
    for i, text in enumerate(TEXTS * 2):
        doc = {name: text for name in TEXT_ANALYSIS}
        doc.update({"id": f"study-{i}", "card": {"id": f"study-{i}", "n": i}})
        if i % 3:
            doc["year"] = 1990 + i
        out.append(doc)
    return out


def expected_postings(field_name: str, documents: list[dict]) -> dict:
    """term -> [(doc, [positions])] from the field's analyzer over the whole value (Whoosh's own tokens)."""
    field = make_schema()[field_name]
    out = defaultdict(list)
    for d, doc in enumerate(documents):
        per_term = defaultdict(list)
        for t in field.analyzer(doc[field_name], positions=True, mode="index"):
            per_term[t.text].append(t.pos)
        for term, positions in per_term.items():
            out[term.encode()].append((d, positions))
    return dict(out)


@pytest.fixture(params=[writing.POSTINGS_BLOCK, 7], ids=["one-block", "blocks-of-7-tokens"])
def written(tmp_path, request, monkeypatch):
    """The test documents written (the postings sorted in one block, and in many: the same files)."""
    monkeypatch.setattr(writing, "POSTINGS_BLOCK", request.param)
    writer = writing.Writer(make_schema())
    documents = docs()
    for doc in documents:
        writer.add(doc)
    writer.write(tmp_path)
    return store.IndexFiles(tmp_path), documents


def test_every_text_field_holds_the_analyzers_terms_and_positions(written):
    files, documents = written
    assert files.doc_count == len(documents)
    for name in TEXT_ANALYSIS:
        columns = files.fields[name]
        expected = expected_postings(name, documents)
        assert columns.between(b"", None) == sorted(expected), name
        for term in columns.between(b"", None):
            want = expected[term]
            docs_, weights = columns.postings(term)
            assert docs_.tolist() == [d for d, _ in want]
            assert weights.tolist() == [float(len(p)) for _, p in want]
            keys = columns.occurrences(term, docs_)
            assert [(int(k >> 32), int(k & 0xFFFFFFFF)) for k in keys] == [(d, p) for d, ps in want for p in ps]
        lengths = [sum(1 for _ in make_schema()[name].analyzer(doc[name], mode="index")) for doc in documents]
        assert files.parts[0].fields[name].lengths.tolist() == lengths
        assert columns.total == sum(lengths)


def test_ids_years_and_cards(written):
    files, documents = written
    ids = files.fields["id"]
    assert ids.postings(b"study-3")[0].tolist() == [3]
    years = files.fields["year"]
    field = make_schema()["year"]
    for d, doc in enumerate(documents):
        if "year" in doc:
            assert d in years.postings(field.to_bytes(doc["year"]))[0].tolist()
    assert [files.card(d) for d in range(files.size)] == [doc["card"] for doc in documents]


def test_a_rewrite_without_new_documents(tmp_path, written):
    files, documents = written
    keep = np.array([i != 0 for i in range(len(documents))])
    writing.Writer(make_schema()).write(tmp_path / "rewritten", [(files.parts[0], keep)])
    rewritten = store.IndexFiles(tmp_path / "rewritten")
    assert [rewritten.card(d) for d in range(rewritten.size)] == [d["card"] for d in documents[1:]]


def test_a_rewrite_equals_writing_the_kept_and_new_documents(tmp_path, written):
    files, documents = written
    # every document of TEXTS[3] goes (its terms with them), a new word comes
    keep = np.array([i % 4 != 1 and i % len(TEXTS) != 3 for i in range(len(documents))])
    added = {name: "Zanzibarian fishermen\n" + documents[2][name] for name in TEXT_ANALYSIS}
    new = [dict(documents[0], id="new-1", card={"id": "new-1"}),
           dict(documents[2], id="new-2", card={"id": "new-2"}, **added),
           {"id": "new-3", "card": {"id": "new-3"}, "title": "Zanzibarian"}]  # no text in most fields
    writer = writing.Writer(make_schema())
    for doc in new:
        writer.add(doc)
    writer.write(tmp_path / "rewritten", [(files.parts[0], keep)])
    direct = writing.Writer(make_schema())
    for doc in [d for d, k in zip(documents, keep) if k] + new:
        direct.add(doc)
    direct.write(tmp_path / "direct")
    rewritten = store.IndexFiles(tmp_path / "rewritten")
    words = rewritten.fields["words"]
    assert not words.has(b"malmoe") and words.has(b"zanzibarian")
    for name in sorted((tmp_path / "direct" / store.DIRNAME).iterdir()):
        assert (tmp_path / "rewritten" / store.DIRNAME / name.name).read_bytes() == name.read_bytes(), name.name


def test_lengths_are_quantised_as_whoosh_stores_them():
    lengths = np.arange(200_000)
    assert store.length_bytes(lengths).tolist() == [length_to_byte(n) for n in lengths.tolist()]
    assert store.BYTE_FLOATS[store.length_bytes(lengths)].tolist() == \
        [float(byte_to_length(length_to_byte(n))) for n in lengths.tolist()]


def test_a_truncated_file_is_refused_on_opening(tmp_path, written):
    """A file shorter than its header or offsets say raises ValueError when opened, not SIGBUS when read."""
    for name in ("words.docs.npy", "words.terms", "cards.jsonl"):
        copy = tmp_path / f"copy-{name}"
        shutil.copytree(tmp_path / store.DIRNAME, copy / store.DIRNAME)
        path = copy / store.DIRNAME / name
        path.write_bytes(path.read_bytes()[:-3])
        with pytest.raises(ValueError):
            store.IndexFiles(copy)


def test_an_index_opens_without_ast(written, tmp_path, monkeypatch):
    """Opening an index (in a page's thread, while another thread opens one) parses no Python: see
    :mod:`evidence.npy`."""
    import ast

    def refuse(*args, **kwargs):
        raise AssertionError("ast used")
    monkeypatch.setattr(ast, "literal_eval", refuse)
    files = store.IndexFiles(tmp_path)
    assert files.doc_count == len(written[1])
    assert [files.card(i)["id"] for i in range(files.size)] == [doc["id"] for doc in written[1]]
