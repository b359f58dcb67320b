"""What a parsed query searches for, in words for people (Danish or English): the search result's
``interpretation``."""

from __future__ import annotations

from whoosh import query

from ..search.schema import DEFAULT_FIELDS

_OPS = {"da": {"and": "OG", "or": "ELLER", "not": "IKKE", "year": "år", "all": "alle studier"},
        "en": {"and": "AND", "or": "OR", "not": "NOT", "year": "year", "all": "all studies"}}


def describe(q, schema, lang: str = "en") -> str:
    """A readable rendering of a parsed query: words, "phrases", field:value, year ranges."""
    ops = _OPS.get(lang, _OPS["en"])
    if q is None or isinstance(q, query.Every):
        return ops["all"]
    if isinstance(q, query.Or) and q.subqueries and all(getattr(s, "fieldname", None) in DEFAULT_FIELDS
                                                        for s in q.subqueries):
        words = [s for s in q.subqueries if s.fieldname == "words"] or q.subqueries[:1]
        parts = [describe(s, schema, lang) for s in words]
        return "(" + f" {ops['or']} ".join(parts) + ")" if len(parts) > 1 else parts[0]
    if isinstance(q, (query.And, query.Or)):
        sep = f" {ops['and']} " if isinstance(q, query.And) else f" {ops['or']} "
        parts = [describe(s, schema, lang) for s in q.subqueries]
        return "(" + sep.join(parts) + ")" if len(parts) > 1 else "".join(parts)
    if isinstance(q, query.Not):
        return f"{ops['not']} {describe(q.query, schema, lang)}"
    if isinstance(q, query.AndNot):
        return f"{describe(q.a, schema, lang)} {ops['not']} {describe(q.b, schema, lang)}"
    if isinstance(q, query.AndMaybe):
        return f"{describe(q.a, schema, lang)} ({describe(q.b, schema, lang)})"
    if isinstance(q, query.NumericRange):
        lo, hi = q.start, q.end
        if lo is not None and hi is not None:
            return f"{ops['year']} {lo}–{hi}"
        return f"{ops['year']} ≥ {lo}" if lo is not None else f"{ops['year']} ≤ {hi}"
    prefix = "" if getattr(q, "fieldname", None) in DEFAULT_FIELDS else f"{getattr(q, 'fieldname', '')}:"
    if isinstance(q, query.Phrase):
        return f'{prefix}"{" ".join(q.words)}"'
    if isinstance(q, query.Prefix):
        return f"{prefix}{q.text}*"
    if isinstance(q, query.Term):
        text = q.text
        if q.fieldname == "year" and isinstance(text, bytes):
            return f"{ops['year']} {schema['year'].from_bytes(text)}"
        return f"{prefix}{text}"
    return str(q)
