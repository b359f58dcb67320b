"""``search()``: free text, facets, sorting and pages over the study index.

Pure of Flask, so the pages and the JSON API share it. The signature is a
contract; keep it stable::

    search(index, q="", filters=None, sort="relevance", page=1, per_page=20, lang="da")
        -> SearchResult

- ``index``: an :class:`~evidence.search.reader.IndexHolder` (the app keeps
  one), an ``OpenIndex``, or the index directory (a path). Raises
  :class:`~evidence.search.reader.IndexMissing` when no index is built.
- ``q``: the query as typed. Never raises: problems come back as messages.
- ``filters``: ``{facet: value or [values]}`` with facets ``intervention``,
  ``target_group``, ``outcome``, ``evidence_level`` ("1"-"3"), ``design``,
  ``country``, ``direction`` (benefit | unclear | harm), ``decade`` ("1990"),
  plus ``year_from`` and ``year_to`` (inclusive). Values of one facet are
  alternatives; facets combine. A ``werkzeug`` MultiDict works via ``.to_dict(flat=False)``.
- ``sort``: ``relevance`` | ``effect`` (largest desirable standardised effect
  first) | ``strength`` (padlocks, then evidence level) | ``year`` (newest
  first). Unknown values sort by relevance.
- ``page`` (from 1) and ``per_page`` (1-100) are clamped, never rejected.
- ``lang``: "da" or "en", for facet labels, summaries and the interpretation.

:class:`SearchResult` has ``hits`` (:class:`Hit`), ``total``, ``page``,
``pages``, ``per_page``, ``sort``, ``facets`` (facet -> list of
:class:`~evidence.search.facets.FacetValue`), ``messages`` (each with a
``code``, English ``text`` and ``params``), ``interpretation`` (what was
searched for), ``suggestions`` (:class:`Suggestion`: spelling corrections and
filters to drop when nothing matched) and ``to_dict()`` for JSON.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import asdict, dataclass, field

from . import facets as facet_mod
from .analysis import fold
from .querying import Message, parse, describe
from .reader import holder_for

SORTS = ("relevance", "effect", "strength", "year")
MAX_PER_PAGE = 100


@dataclass
class Hit:
    id: str
    label: str
    title: str | None
    authors: list
    year: int | None
    country: str | None
    design: str
    evidence_level: int
    summary: str | None
    interventions: list
    target_groups: list
    outcomes: list
    directions: list
    effect_size: float | None
    strength: int
    score: float


@dataclass
class Suggestion:
    kind: str  # "spelling" (use ``q``) or "remove_filter" (drop ``facet``=``value``)
    q: str | None = None
    facet: str | None = None
    value: str | None = None
    count: int | None = None


@dataclass
class SearchResult:
    q: str
    hits: list[Hit]
    total: int
    page: int
    pages: int
    per_page: int
    sort: str
    facets: dict
    messages: list[Message]
    interpretation: str
    suggestions: list[Suggestion] = field(default_factory=list)
    dataset_version: str | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["facets"] = {k: [v.to_dict() for v in vs] for k, vs in self.facets.items()}
        return out


def _clamp(value, low: int, high: int, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def _sort_key(sort: str, has_query: bool):
    def key(item):
        score, card = item
        year = card.get("year") or 0
        if sort == "effect":
            size = card.get("effect_size")
            return (size is None, -(size or 0), -score, card["id"])
        if sort == "year":
            return (-year, -score, card["id"])
        if sort == "strength" or not has_query:
            return (-card["strength"], card["evidence_level"], -year, card["id"])
        return (-score, -card["strength"], -year, card["id"])
    return key


def _hit(score: float, card: dict, lang: str) -> Hit:
    other = "da" if lang == "en" else "en"
    return Hit(card["id"], card["label"], card.get("title"), card.get("authors") or [], card.get("year"),
               card.get("country"), card["design"], card["evidence_level"],
               card.get(f"summary_{lang}") or card.get(f"summary_{other}"), card["own"]["intervention"],
               card["own"]["target_group"], card["own"]["outcome"], card["direction"], card.get("effect_size"),
               card["strength"], score)


def _match(searcher, parsed) -> list[tuple[float, dict]]:
    if parsed.query is None:
        return [(0.0, fields["card"]) for fields in searcher.all_stored_fields()]
    return [(hit.score or 0.0, hit["card"]) for hit in searcher.search(parsed.query, limit=None)]


def _spelling(searcher, parsed, spellings: dict, lang: str) -> list[Suggestion]:
    reader = searcher.reader()
    text, changed = parsed.used, False
    for word in parsed.words:
        if len(word) < 3 or word.isdigit() or ("words", word) in reader:
            continue
        options = searcher.suggest("words", word, limit=1, maxdist=1 if len(word) < 6 else 2) or \
            difflib.get_close_matches(word, list(spellings), n=1, cutoff=0.85)
        if options:
            replacement = spellings.get(options[0], options[0])
            text = _replace_word(text, word, replacement)
            changed = True
    return [Suggestion("spelling", q=text)] if changed else []


def _replace_word(text: str, folded: str, replacement: str) -> str:
    return re.sub(r"\w+", lambda m: replacement if fold(m.group(0)) == folded else m.group(0), text)


def search(index, q: str = "", filters=None, sort: str = "relevance", page=1, per_page=20,
           lang: str = "da") -> SearchResult:
    """Search the study index; see the module docstring for the contract."""
    lang = lang if lang in ("da", "en") else "da"
    sort = sort if sort in SORTS else "relevance"
    per_page = _clamp(per_page, 1, MAX_PER_PAGE, 20)
    opened = holder_for(index).current()
    schema, meta = opened.ix.schema, opened.meta
    flt, bad_years = facet_mod.make_filters(filters)
    parsed = parse(schema, q or "")
    messages = list(parsed.messages)
    messages += [Message("invalid_year", f"'{name}' must be a year such as 2010; it was ignored.", {"field": name})
                 for name in bad_years]
    with opened.ix.searcher() as searcher:
        matched = _match(searcher, parsed)
        if not matched and parsed.query is not None and len(parsed.words) > 1 and \
                not any(op in parsed.used.split() for op in ("AND", "OR", "NOT")):
            wider = parse(schema, q or "", any_words=True)
            matched = _match(searcher, wider)
            if matched:
                parsed = wider
                messages.append(Message("any_words", "No study matched all the words; "
                                        "showing studies that match any of them."))
        suggestions = _spelling(searcher, parsed, meta.get("spellings", {}), lang) \
            if parsed.words and (not matched or parsed.any_words) else []
    kept = [item for item in matched if facet_mod.matches(item[1], flt)]
    counted = facet_mod.count([card for _, card in matched], flt, meta["vocabulary"], lang)
    if not kept and flt.active():
        suggestions += _broader(matched, flt)
    kept.sort(key=_sort_key(sort, parsed.query is not None))
    pages = max(1, math.ceil(len(kept) / per_page))
    page = _clamp(page, 1, pages, 1)
    shown = kept[(page - 1) * per_page: page * per_page]
    return SearchResult(
        q=q or "", hits=[_hit(score, card, lang) for score, card in shown], total=len(kept), page=page,
        pages=pages, per_page=per_page, sort=sort, facets=counted, messages=messages,
        interpretation=describe(parsed.query, schema, lang), suggestions=suggestions,
        dataset_version=meta.get("dataset_version"))


def _broader(matched, flt) -> list[Suggestion]:
    out = []
    for facet, values in flt.values.items():
        for value in values:
            wider = flt.without(facet, value)
            n = sum(facet_mod.matches(card, wider) for _, card in matched)
            if n:
                out.append(Suggestion("remove_filter", facet=facet, value=value, count=n))
    for name in ("year_from", "year_to"):
        if getattr(flt, name) is not None:
            wider = flt.without(name)
            n = sum(facet_mod.matches(card, wider) for _, card in matched)
            if n:
                out.append(Suggestion("remove_filter", facet=name, value=str(getattr(flt, name)), count=n))
    return out
