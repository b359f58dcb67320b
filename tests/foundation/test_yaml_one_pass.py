"""Reading a record in one pass over libyaml's events gives exactly what guarding, composing and walking give."""

from __future__ import annotations

import pytest

from evidence.records.yamlio import YamlError, loads, read_fully, read_ordinary
from tests.fixture_data import FIXTURE_DATA, ROOT

RECORDS = sorted([*(ROOT / "data").rglob("*.yaml"), *FIXTURE_DATA.rglob("*.yaml")])

#: Files that test the edges of YAML: types that resolve alike, keys, lines, and what the full reader refuses.
EDGES = {
    "types": "a: yes\nb: No\nc: ~\nd: null\ne: 0x1F\nf: 017\ng: 1_000\nh: .5\ni: -.inf\nj: .NaN\nk: 1e3\n"
             "l: '12'\nm: \"true\"\nn: 2026-01-01\no: 2026-01-01 10:00:00\np: ''\nq:\nr: 1.0\ns: 12\n",
    "blocks": "id: x\ntext: |\n  two\n  lines\nfolded: >\n  one\n  line\n"
              "list:\n- a\n-\n  - b\n  - c: 1\n    d: [e, {f: g}]\n",
    "dotted keys": "a.b: 1\na:\n  b: 2\n'x': {y: [1, 2]}\n\"q\": 3\n",
    "comments and unicode": "# a comment\nid: æøå  # trailing\nnavn: \"Ærø \\u00e6\"\n---\n",
    "flow": "{a: 1, b: [2, {c: 3}], d: []}\n",
    "scalar document": "just text\n",
    "list document": "- 1\n- two\n",
    "empty": "",
    "only a comment": "# nothing\n",
    "explicit document": "---\na: 1\n...\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "number key": "1: a\n",
    "null key": "~: a\n",
    "date key": "2026-01-01: a\n",
    "mapping key": "? [a]\n: b\n",
    "merge key": "a: {x: 1}\nb:\n  <<: {y: 2}\n",
    "anchor without alias": "a: &x 1\nb: 2\n",
    "alias": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 12\nb: !custom x\n",
    "long number": "n: " + "1" * 60 + "\n",
    "long quoted number": "n: '" + "1" * 60 + "'\n",
    "long text": "n: " + "x" * 60 + "\n",
    "deep": "v: " + "[" * 31 + "]" * 31 + "\n",
    "too deep": "v: " + "[" * 40 + "]" * 40 + "\n",
    "syntax error": "a: [1, 2\nb: 3\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "tab": "a:\n\tb: 1\n",
    # a plain scalar's value is remembered by its text: the same texts as keys, values, quoted and not
    "recurring texts": "a: 1\nb: 1\n'1': yes\nc: [1, '1', yes, 'yes', a, b, 1.0, '', ~]\nd: {a: 1, b: 1.0}\n",
    "recurring, a key that is not text": "a: yes\nyes: a\n",
}


def outcome(read, text: str):
    """What ``read`` makes of ``text``, types and key order included (``repr`` tells True from 1 and 1.0)."""
    try:
        loaded = read(text)
    except YamlError as exc:
        return ("error", str(exc), exc.line)
    return (repr(loaded.data), repr(loaded.lines))


@pytest.mark.parametrize("path", RECORDS, ids=[p.relative_to(ROOT).as_posix() for p in RECORDS])
def test_every_record_and_vocabulary_reads_the_same(path):
    text = path.read_text(encoding="utf-8")
    if text.strip():  # an empty file has no event to read: the full reader's (None) is the answer
        assert read_ordinary(text) is not None, "an ordinary file must take the one pass, or nothing is compared"
    assert outcome(loads, text) == outcome(read_fully, text)


@pytest.mark.parametrize("case", EDGES, ids=list(EDGES))
def test_the_edges_read_the_same(case):
    assert outcome(loads, EDGES[case]) == outcome(read_fully, EDGES[case])
    assert outcome(loads, EDGES[case]) == outcome(read_fully, EDGES[case])  # again, its plain texts remembered


def test_the_one_pass_leaves_to_the_full_reader_what_it_cannot_read_alike():
    for case in ("two documents", "duplicate key", "number key", "alias", "tag", "too deep", "syntax error",
                 "empty", "long number", "mapping key"):
        assert read_ordinary(EDGES[case]) is None, case
    for case in ("types", "blocks", "dotted keys", "flow", "scalar document", "deep", "long text"):
        assert read_ordinary(EDGES[case]) is not None, case
