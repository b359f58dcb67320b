"""Forgiving query parsing: repair what can be repaired, say what was done.

:func:`parse` never raises. It repairs unbalanced quotes and parentheses, turns unknown ``field:``
prefixes into words, completes a half-typed year range (``year:[2010 TO``), accepts Danish operators
(OG, ELLER, IKKE) and ``-word``, and returns the query with one :class:`Message` per repair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import qparser, query

from .analysis import fold
from .schema import DEFAULT_FIELDS, FIELD_ALIASES, FIELD_NAMES

MAX_LENGTH = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_FIELD = re.compile(r"(?<![\w\"'])([^\s:()\"\[\]{}]+):")
_OPEN_RANGE = re.compile(r"\byear:\[([^\]}]*)$", re.IGNORECASE)
_OPEN_RANGE_PARTS = re.compile(r"^\s*(\d{1,4})?\s*(?:TO)?\s*(\d{1,4})?\s*(.*)$", re.IGNORECASE | re.DOTALL)
_DASH_RANGE = re.compile(r"\byear:(\d{1,4})\s*[-–]\s*(\d{1,4})\b")
_OPERATORS = {"OG": "AND", "ELLER": "OR", "IKKE": "NOT"}
_WORD = re.compile(r"\w+(?:[.']\w+)*")
_SYNTAX_WORDS = {"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"}


@dataclass(frozen=True)
class Message:
    """One thing said about the query: ``code`` for translation, English ``text``."""

    code: str
    text: str
    params: dict = field(default_factory=dict)


@dataclass
class Parsed:
    raw: str
    used: str  # the text actually parsed, after repairs
    query: query.Query | None  # None: every study
    messages: list[Message]
    words: list[str]  # plain words of the query, for spelling suggestions
    any_words: bool = False  # the words were joined with OR


def _parser(schema, any_words: bool) -> qparser.QueryParser:
    group = qparser.OrGroup.factory(0.9) if any_words else qparser.AndGroup
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=DEFAULT_FIELDS, group=group)
    parser.add_plugin(qparser.GtLtPlugin())
    # +word / -word only at the start of a word: Whoosh's default patterns also split "cbt-offenders"
    # or "quasi-experimental" into "cbt NOT offenders"
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?:^|(?<=[\s(]))\+", minusexpr=r"(?:^|(?<=[\s(]))-"))
    return parser


def _balance_parentheses(text: str) -> tuple[str, bool]:
    """The text without a ``)`` that closes nothing and the last ``(`` that stay open; whether any went."""
    out, depth = [], 0
    for ch in text:
        if ch == ")" and not depth:
            continue
        depth += (ch == "(") - (ch == ")")
        out.append(ch)
    result = "".join(out)
    for _ in range(depth):
        i = result.rfind("(")
        result = result[:i] + " " + result[i + 1:]
    return result, len(out) < len(text) or depth > 0


def repair(raw: str) -> tuple[str, list[Message]]:
    """The query text with every known problem repaired, and what was done."""
    messages = []
    text = _CONTROL.sub(" ", raw or "").strip()
    if len(text) > MAX_LENGTH:
        text = text[:MAX_LENGTH]
        messages.append(Message("too_long", f"The query was cut to its first {MAX_LENGTH} characters.",
                                {"limit": MAX_LENGTH}))
    text = re.sub(r"[“”„«»″]", '"', text)
    text = re.sub(r"\b(OG|ELLER|IKKE)\b", lambda m: _OPERATORS[m.group(1)], text)
    if text.count('"') % 2:
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1:]
        messages.append(Message("unbalanced_quote", "A quotation mark had no partner; it was left out."))
    text, changed = _balance_parentheses(text)
    if changed:
        messages.append(Message("unbalanced_parenthesis", "A parenthesis had no partner; it was left out."))

    def field_name(m: re.Match) -> str:
        name = m.group(1)
        known = FIELD_ALIASES.get(name.lower())
        if known:
            return f"{known}:"
        messages.append(Message("unknown_field", f"There is no field '{name}'; it was searched as a word. "
                                f"Fields: {', '.join(FIELD_NAMES)}.",
                                {"field": name, "fields": ", ".join(FIELD_NAMES)}))
        return f"{name} "

    text = _FIELD.sub(field_name, text)
    text = _DASH_RANGE.sub(r"year:[\1 TO \2]", text)
    text = _close_range(text, messages)
    text = re.sub(r"\byear:([\[{][^\]}]*)\bto\b", r"year:\1TO", text)
    return text.strip(), messages


def _close_range(text: str, messages: list) -> str:
    """``year:[2010 TO`` (no closing bracket) -> ``year:>=2010``; ``year:[2010 TO 2015`` -> closed."""
    match = _OPEN_RANGE.search(text)
    if not match:
        return text
    low, high, rest = _OPEN_RANGE_PARTS.match(match.group(1)).groups()
    if low and high:
        fixed = f"year:[{low} TO {high}]"
    elif low or high:
        fixed = f"year:>={low}" if low else f"year:<={high}"
    else:
        fixed = ""
    messages.append(Message("incomplete_range", "The year range was not closed; it was read as "
                            "'from that year on'. Write e.g. year:[2010 TO 2015]."))
    return text[:match.start()] + fixed + (" " + rest if rest else "")


def _errors(q) -> list[str]:
    """The errors the parser attached to ``q`` or to any query inside it."""
    own = [str(q.error)] if getattr(q, "error", None) else []
    return own + [error for child in q.children() for error in _errors(child)]


def parse(schema, raw: str, any_words: bool = False) -> Parsed:
    """Parse ``raw`` into a Whoosh query; never raises."""
    text, messages = repair(raw)
    words = [w for w in _WORD.findall(re.sub(r"\b\w+:", " ", text)) if w not in _SYNTAX_WORDS]  # no field names
    q, errors = query.NullQuery, []
    if words or re.search(r"\d|\*", text):
        try:
            q = _parser(schema, any_words).parse(text)
            errors = _errors(q)
        except Exception as exc:  # whoosh's parser has rare failure modes on odd input
            q, errors = query.NullQuery, [exc.__class__.__name__]
    messages += [Message("invalid_value", f"Part of the query could not be read ({error}); it was left out.",
                         {"error": error}) for error in errors]
    if isinstance(q, type(query.NullQuery)):
        if not words:
            if text:
                messages.append(Message("no_words", "The query has no words to search for; showing all studies."))
            return Parsed(raw or "", text, None, messages, [])
        simple = " ".join(f'"{w}"' if not w.isalnum() else w for w in words)
        messages.append(Message("simplified", f"The query could not be read as written; searched for the words: "
                                f"{' '.join(words)}.", {"words": " ".join(words)}))
        q = _parser(schema, any_words).parse(simple)
        text = simple
    return Parsed(raw or "", text, q, messages, [fold(w) for w in words], any_words)
