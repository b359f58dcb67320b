"""Search state lives in the URL: build links that change one part of it."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from flask import g, request, url_for

#: Query parameters that are part of the search state, in URL order.
STATE = ("q", "intervention", "target_group", "outcome", "evidence_level", "design", "country", "direction",
         "decade", "year_from", "year_to", "sort", "per_page", "more", "page", "lang")
MAX_VALUES = 20


def current() -> list[tuple[str, str]]:
    """The current state as (name, value) pairs: known names only, no empty values (read once per request)."""
    cached = g.get("_urlstate")
    if cached is None:
        cached = []
        for name in STATE:
            for value in request.args.getlist(name)[:MAX_VALUES]:
                if value.strip():
                    cached.append((name, value[:1000]))
        g._urlstate = cached
    return list(cached)


_RANK = {name: i for i, name in enumerate(STATE)}


def _base(endpoint: str) -> str:
    """``url_for(endpoint)``, once per request and endpoint (a page builds ~70 links)."""
    bases = g.get("_urlstate_bases")
    if bases is None:
        bases = g._urlstate_bases = {}
    base = bases.get(endpoint)
    if base is None:
        base = bases[endpoint] = url_for(endpoint)
    return base


@lru_cache(maxsize=4096)
def _encoded_pair(name: str, value: str) -> str:
    """``urlencode([(name, value)])``, remembered: a facet list links the same vocabulary values on
    every page (a page encodes ~100 pairs)."""
    return urlencode([(name, value)])


def _encoded(pairs: list[tuple[str, str]]) -> list[str]:
    """``urlencode([pair])`` of each pair."""
    return [_encoded_pair(name, value) for name, value in pairs]


def _encode(pairs: list[tuple[str, str]]) -> str:
    """``urlencode(pairs)``, each pair encoded once (:func:`_encoded_pair`)."""
    return "&".join(_encoded(pairs))


def link(endpoint: str = "search.search", *, toggle: tuple[str, str] | None = None,
         drop: tuple[str, ...] = (), set_: dict | None = None, keep_page: bool = False) -> str:
    """The current search with one facet value toggled, names dropped or values set."""
    pairs = [p for p in current() if p[0] not in drop]
    if not keep_page:
        pairs = [p for p in pairs if p[0] != "page"]
    if toggle:
        if toggle in pairs:
            pairs.remove(toggle)
        else:
            pairs.append(toggle)
    for name, value in (set_ or {}).items():
        pairs = [p for p in pairs if p[0] != name]
        if value not in (None, ""):
            pairs.append((name, str(value)))
    pairs.sort(key=lambda p: _RANK[p[0]])
    base = _base(endpoint)
    return f"{base}?{_encode(pairs)}" if pairs else base


def toggle_links(name: str, values, endpoint: str = "search.search") -> list[str]:
    """``link(endpoint, toggle=(name, value))`` for each value: the same URLs, the shared part built once.

    (A facet list links every value it shows; the state pairs are already in :data:`STATE` order, so
    a value is removed where it is, or inserted after the pairs of its name, as the stable sort would.)
    """
    pairs = [p for p in current() if p[0] != "page"]
    encoded = _encoded(pairs)
    base = _base(endpoint)
    rank = _RANK[name]
    at = sum(1 for p in pairs if _RANK[p[0]] <= rank)  # where an added value goes
    out = []
    for value in values:
        toggle = (name, value)
        if toggle in pairs:
            i = pairs.index(toggle)
            parts = encoded[:i] + encoded[i + 1:]
        else:
            parts = encoded[:at] + _encoded([toggle]) + encoded[at:]
        out.append(f"{base}?{'&'.join(parts)}" if parts else base)
    return out


def hidden_fields(*exclude: str) -> list[tuple[str, str]]:
    """State to carry through a form as hidden inputs (all but ``exclude`` and the page)."""
    return [p for p in current() if p[0] not in exclude and p[0] != "page"]
