"""Search as the pages and the API ask for it: the filters both take, then the index's ``search()``. Flask-free.

A view reads its arguments (a page the query string's lists, the API its checked arguments) and
calls :func:`find`; how the index answers is :mod:`evidence.search.service`'s (its public contract).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..search.facets import FACETS
from ..search.service import SearchResult, search

#: Every filter a search takes: the facets, then the year range.
FILTERS = (*FACETS, "year_from", "year_to")


def find(index, q: str, filters: Mapping, sort: str, page, per_page, lang: str) -> SearchResult:
    """The studies matching ``q`` and ``filters`` (``{name: value or [values]}``; unset names left out)."""
    chosen = {name: filters[name] for name in FILTERS if filters.get(name) not in (None, [], "")}
    return search(index, q=q, filters=chosen, sort=sort, page=page, per_page=per_page, lang=lang)
