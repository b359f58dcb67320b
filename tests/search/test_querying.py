"""Malformed queries never raise: they are repaired, and the repair is said."""

from __future__ import annotations

import pytest

from evidence.search.querying import parse, repair
from evidence.search.schema import make_schema
from evidence.services.interpretation import describe
from evidence.services.search import search

SCHEMA = make_schema()
MALFORMED = [
    ("year:[2010 TO", "incomplete_range"),
    ('"unbalanced quote', "unbalanced_quote"),
    ("foo:bar", "unknown_field"),
    ("(recidivism OR tb", "unbalanced_parenthesis"),
    ("recidivism)", "unbalanced_parenthesis"),
    ("year:abc", "invalid_value"),
    ("x" * 400, "too_long"),
]
ODD = ["", " ", ":", "*", "?", "AND", "NOT", "OR OR", "a AND", "((((", "))))", '"""', "year:", "year:[", "year:]",
       "year:[TO]", "title:", "^", "~", "recidivism^x", "recid~~", "\x00\x01", "<script>alert(1)</script>",
       "' OR 1=1 --", "{{7*7}}", "%(x)s", "year:>", "year:<=abc", "-", "+", "-recidivism", "🔥", "ø æ å",
       "year:[2010 TO 2000]", "year:99999999999999999999", "http://example.org/x?y=z", "\\", "*:*", "id:*"]


@pytest.mark.parametrize("raw, code", MALFORMED)
def test_repairs_are_reported(raw, code):
    parsed = parse(SCHEMA, raw)
    assert code in [m.code for m in parsed.messages]
    assert describe(parsed.query, SCHEMA, "en")


@pytest.mark.parametrize("raw", ODD + [m[0] for m in MALFORMED])
def test_odd_queries_never_raise(built_settings, raw):
    for lang in ("da", "en"):
        result = search(built_settings.index_dir, raw, lang=lang)
        assert result.interpretation
        assert result.total >= 0


def test_incomplete_range_reads_as_from_that_year(built_settings):
    result = search(built_settings.index_dir, "year:[2000 TO", per_page=100, lang="en")
    assert result.interpretation == "year ≥ 2000"
    assert result.hits and all(h.year >= 2000 for h in result.hits)


def test_danish_operators_and_field_aliases():
    text, messages = repair("titel:foo OG år:2001 IKKE bar")
    assert text == "title:foo AND year:2001 NOT bar" and not messages


def test_interpretation_reads_naturally():
    parsed = parse(SCHEMA, 'recidivism year:[2000 TO 2005] "stroke unit"')
    assert describe(parsed.query, SCHEMA, "en") == '(recidivism AND year 2000–2005 AND "stroke unit")'
    assert describe(parsed.query, SCHEMA, "da") == '(recidivism OG år 2000–2005 OG "stroke unit")'


def test_all_words_fall_back_to_any_word(built_settings):
    result = search(built_settings.index_dir, "tuberculosis zzzqqq", lang="en")
    assert result.total > 0 and "any_words" in [m.code for m in result.messages]


def test_a_hyphen_inside_a_word_is_not_an_exclusion(built_settings):
    schema = make_schema()
    for text in ("cbt-offenders", "quasi-experimental", "intervention:cbt-offenders", "før-efter"):
        assert "NOT" not in str(parse(schema, text).query), text
    assert "NOT" in str(parse(schema, "housing -shelter").query)
    assert "NOT" in str(parse(schema, "(housing -shelter)").query)
    tagged = search(built_settings.index_dir, "", {"intervention": "cbt-offenders"}).total
    assert tagged and search(built_settings.index_dir, "intervention:cbt-offenders").total == tagged
