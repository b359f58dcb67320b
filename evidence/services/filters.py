"""The filters a search takes, read from its arguments (``{name: value or [values]}``), forgivingly:
unknown names are ignored, values trimmed and bounded, and a year that is not one reported."""

from __future__ import annotations

from dataclasses import dataclass

from ..search.facets import FACETS

MAX_VALUES = 20  # values per facet in a URL
MAX_VALUE_LENGTH = 200
YEAR_RANGE = (1000, 2999)


@dataclass
class Filters:
    values: dict  # facet -> tuple of values
    year_from: int | None = None
    year_to: int | None = None

    def active(self) -> bool:
        return bool(self.values) or self.year_from is not None or self.year_to is not None


def _year(value) -> int | None:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return year if YEAR_RANGE[0] <= year <= YEAR_RANGE[1] else None


def make_filters(raw) -> tuple[Filters, list[str]]:
    """Filters from ``{name: value or [values]}``; unknown names are ignored, bad years reported."""
    raw = raw or {}
    values, bad = {}, []
    for name in FACETS:
        given = raw.get(name)
        if given is None:
            continue
        given = [given] if isinstance(given, (str, int)) else list(given)
        cleaned = []
        for v in given[:MAX_VALUES]:
            v = str(v).strip()[:MAX_VALUE_LENGTH]
            if v and v not in cleaned:
                cleaned.append(v)
        if cleaned:
            values[name] = tuple(cleaned)
    years = {}
    for name in ("year_from", "year_to"):
        given = raw.get(name)
        if isinstance(given, (list, tuple)):
            given = given[0] if given else None
        if given is None or str(given).strip() == "":
            continue
        years[name] = _year(given)
        if years[name] is None:
            bad.append(name)
    return Filters(values, years.get("year_from"), years.get("year_to")), bad
