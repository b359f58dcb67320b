"""The search service: free text, facets, sorting and pages over the study index, for pages and API alike.

A view reads its arguments (a page the query string's lists, the API its checked arguments) and calls
:func:`find`; :func:`search` answers from the index (:mod:`evidence.search`: parsing, matching, facet
postings, spelling) and puts the answer in the reader's words. Pure of Flask. The signature is a
contract; keep it stable::

    search(index, q="", filters=None, sort="relevance", page=1, per_page=20, lang="da") -> SearchResult

- ``index``: an :class:`~evidence.search.reader.IndexHolder` (the app keeps one), an ``OpenIndex``, or
  the index directory (a path). Raises :class:`~evidence.search.reader.IndexMissing` when no index is built.
- ``q``: the query as typed. Never raises: problems come back as messages.
- ``filters``: ``{facet: value or [values]}`` with facets ``intervention``, ``target_group``, ``outcome``,
  ``evidence_level`` ("1"-"3"), ``design``, ``country``, ``direction`` (benefit | unclear | harm),
  ``decade`` ("1990"), plus ``year_from`` and ``year_to`` (inclusive). Values of one facet are
  alternatives; facets combine. A ``werkzeug`` MultiDict works via ``.to_dict(flat=False)``.
- ``sort``: ``relevance`` | ``effect`` (largest desirable standardised effect first) | ``strength``
  (padlocks, then evidence level) | ``year`` (newest first). Unknown values sort by relevance.
- ``page`` (from 1) and ``per_page`` (1-100) are clamped, never rejected.
- ``lang``: "da" or "en", for facet labels, summaries and the interpretation.

:class:`SearchResult` has ``hits`` (:class:`Hit`), ``total``, ``page``, ``pages``, ``per_page``, ``sort``,
``facets`` (facet -> list of :class:`~evidence.services.facet_lists.FacetValue`), ``messages`` (each with a
``code``, English ``text`` and ``params``), ``interpretation`` (what was searched for), ``suggestions``
(:class:`Suggestion`: spelling corrections and filters to drop when nothing matched) and ``to_dict()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from ..search import facets as facet_mod
from ..search.querying import Message, parse
from ..search.reader import holder_for
from ..search.spelling import Suggestion, suggest_spellings
from .facet_counts import Values
from .facet_lists import labelled, ordered
from .filters import make_filters
from .interpretation import describe

SORTS = ("relevance", "effect", "strength", "year")
#: Every filter a search takes: the facets, then the year range.
FILTERS = (*facet_mod.FACETS, "year_from", "year_to")
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
        return asdict(self)  # (the hits, facet values, messages and suggestions too: asdict recurses)


def _clamp(value, low: int, high: int, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def _hit(score: float, card: dict, lang: str) -> Hit:
    other = "da" if lang == "en" else "en"
    return Hit(card["id"], card["label"], card.get("title"), card.get("authors") or [], card.get("year"),
               card.get("country"), card["design"], card["evidence_level"],
               card.get(f"summary_{lang}") or card.get(f"summary_{other}"), card["own"]["intervention"],
               card["own"]["target_group"], card["own"]["outcome"], card["direction"], card.get("effect_size"),
               card["strength"], score)


def _ranking(opened, query) -> tuple[np.ndarray, np.ndarray]:
    """Every live match of ``query`` (ascending document numbers) and its score (cached per index version).

    Not sorted here: a page needs only its first few in relevance order (:func:`_page`, :func:`_first`),
    and a filter or another sort none (at 100k studies, sorting a common word's ~90k matches by the
    four keys took ~25 ms a query).
    """
    key = repr(query)
    cached = opened.ranked.get(key)
    if cached is not None:
        return cached
    found = opened.engine().match(query)
    docs, scores = found.docs, found.scores
    if len(docs):
        alive = opened.files.live[docs]
        docs, scores = docs[alive], scores[alive]
    result = (docs.astype(np.int32), scores)
    opened.ranked.put(key, result, weight=docs.nbytes + scores.nbytes)
    return result


def _text_mask(opened, query) -> np.ndarray:
    """The live documents ``query`` matches (all live documents when there is no query)."""
    if query is None:
        return opened.files.live.copy()
    mask = np.zeros(opened.files.size, dtype=bool)
    mask[_ranking(opened, query)[0]] = True
    return mask


def _page(opened, parsed, kept: np.ndarray, sort: str, start: int, stop: int) -> list[tuple[float, int]]:
    """``(score, docnum)`` of the page shown, in the order of the cards' sort keys. Relevance is the
    cards' order: score (BM25F as Whoosh scores it, :mod:`.engine`, over every match), then padlocks,
    newest, id; the id's rank breaks every tie, so the order of the kept documents is the same as
    their order in a ranking of every match."""
    files, keys, query = opened.files, opened.files.keys, parsed.query
    score = np.zeros(files.size)  # (without words every score is 0)
    if query is not None:
        ranked, ranked_scores = _ranking(opened, query)
        score[ranked] = ranked_scores
    docs = np.nonzero(kept)[0]
    year = np.maximum(keys["year"][docs], 0)  # (unknown, -1, as the oldest)
    neg_score = -score[docs]
    rank = files.id_rank[docs]
    if sort == "relevance" and query is not None:
        order = (rank, -year, -keys["strength"][docs], neg_score)
    elif sort == "effect":
        e = keys["effect"][docs]
        order = (rank, neg_score, np.where(np.isnan(e), np.inf, -e))
    elif sort == "year":
        order = (rank, neg_score, -year)
    else:  # strength, or relevance without words: padlocks, evidence level, newest, id
        order = (rank, -year, keys["level"][docs], -keys["strength"][docs])
    return [(float(score[d]), int(d)) for d in docs[_first(order, stop)[start:]]]


def _first(keys: tuple, count: int) -> np.ndarray:
    """``np.lexsort(keys)[:count]`` without sorting every item: only the items whose primary key (the
    last) is at most the ``count``-th smallest can come first, and ``lexsort`` is stable over the
    candidates, which keep their order, so ties fall as in the full sort. (At 100k studies, ~90k
    items by four keys: a full ``lexsort`` ~25 ms, this under 1 ms.)"""
    primary = keys[-1]
    if count >= len(primary):
        return np.lexsort(keys)[:count]
    threshold = np.partition(primary, count - 1)[count - 1]
    candidates = np.flatnonzero(~(primary > threshold))  # (a NaN threshold keeps every item)
    return candidates[np.lexsort(tuple(k[candidates] for k in keys))[:count]]


def search(index, q: str = "", filters=None, sort: str = "relevance", page=1, per_page=20,
           lang: str = "da") -> SearchResult:
    """Search the study index; see the module docstring for the contract. The text query's ranking
    (:func:`_ranking`), the filters and the facet counts (:mod:`.facets`) are masks over the documents."""
    lang = lang if lang in ("da", "en") else "da"
    sort = sort if sort in SORTS else "relevance"
    per_page = _clamp(per_page, 1, MAX_PER_PAGE, 20)
    opened = holder_for(index).current()
    schema, meta, files = opened.schema, opened.meta, opened.files
    flt, bad_years = make_filters(filters)
    parsed = parse(schema, q or "")
    messages = list(parsed.messages)
    messages += [Message("invalid_year", f"'{name}' must be a year such as 2010; it was ignored.", {"field": name})
                 for name in bad_years]
    text = _text_mask(opened, parsed.query)
    if not text.any() and parsed.query is not None and len(parsed.words) > 1 and \
            not any(op in parsed.used.split() for op in ("AND", "OR", "NOT")):
        wider = parse(schema, q or "", any_words=True)
        wider_text = _text_mask(opened, wider.query)
        if wider_text.any():
            parsed, text = wider, wider_text
            messages.append(Message("any_words", "No study matched all the words; "
                                    "showing studies that match any of them."))
    suggestions = suggest_spellings(opened, parsed, meta.get("spellings", {})) \
        if parsed.words and (not text.any() or parsed.any_words) else []
    masks = {facet: facet_mod.mask(files, facet, values) for facet, values in flt.values.items()}
    years = facet_mod.year_mask(files.keys["year"], flt.year_from, flt.year_to)

    def within(skip: str | None = None, masks=masks, years=years) -> np.ndarray:
        m = text.copy()
        for facet, fm in masks.items():
            if facet != skip:
                m &= fm
        if skip != "decade" and years is not None:
            m &= years
        return m

    kept = within()
    total = int(kept.sum())
    counted = {}
    labels, values, kept_docs = facet_labels(opened, lang), facet_values(opened), np.flatnonzero(kept)
    for facet in facet_mod.FACETS:
        chosen = flt.values.get(facet, ())
        counts = values[facet].counts(kept, kept_docs) if facet not in masks and (facet != "decade" or years is None) \
            else values[facet].counts(within(facet))
        counts |= {v: 0 for v in chosen if v not in counts}  # (a chosen value no study has is listed too)
        counted[facet] = ordered(facet, counts, set(chosen), labels)
    if not total and flt.active():
        suggestions += _broader(files, flt, masks, within)
    pages = max(1, math.ceil(total / per_page))
    page = _clamp(page, 1, pages, 1)
    shown = _page(opened, parsed, kept, sort, (page - 1) * per_page, page * per_page) if total else []
    hits = [_hit(score, files.card(docnum), lang) for score, docnum in shown]
    return SearchResult(
        q=q or "", hits=hits, total=total, page=page,
        pages=pages, per_page=per_page, sort=sort, facets=counted, messages=messages,
        interpretation=describe(parsed.query, schema, lang), suggestions=suggestions,
        dataset_version=meta.get("dataset_version"))


def _broader(files, flt, masks, within) -> list[Suggestion]:
    """When filters leave nothing: each filter value (or year bound) whose removal would leave studies."""
    wider = []  # (facet, value, within()'s arguments without that value)
    for facet, values in flt.values.items():
        for value in values:
            rest = [v for v in values if v != value]
            others = facet_mod.mask(files, facet, rest) if rest else True  # (True: the facet filters nothing)
            wider.append((facet, value, {"masks": {**masks, facet: others}}))
    for name, bounds in (("year_from", (None, flt.year_to)), ("year_to", (flt.year_from, None))):
        if getattr(flt, name) is not None:
            wider.append((name, str(getattr(flt, name)), {"years": facet_mod.year_mask(files.keys["year"], *bounds)}))
    counted = [(facet, value, int(within(**args).sum())) for facet, value, args in wider]
    return [Suggestion("remove_filter", facet=facet, value=value, count=n) for facet, value, n in counted if n]


def facet_labels(opened, lang: str) -> dict:
    """Each vocabulary term's label and place in the facet lists in ``lang`` (:func:`.facet_lists.labelled`),
    made once per open index; the server's warm-up makes them before it forks its workers."""
    return opened.once(f"facet-labels-{lang}", lambda: labelled(opened.meta["vocabulary"], lang))


def facet_values(opened) -> dict:
    """facet -> :class:`.facet_counts.Values` of the open index, made once per version (the server's
    warm-up makes them before it forks its workers)."""
    return opened.once("facet-values", lambda: {facet: Values(opened.files.fields[facet_mod.field_name(facet)])
                                                for facet in facet_mod.FACETS})


def find(index, q: str, filters: Mapping, sort: str, page, per_page, lang: str) -> SearchResult:
    """The studies matching ``q`` and ``filters`` (``{name: value or [values]}``; unset names left out)."""
    chosen = {name: filters[name] for name in FILTERS if filters.get(name) not in (None, [], "")}
    return search(index, q=q, filters=chosen, sort=sort, page=page, per_page=per_page, lang=lang)
