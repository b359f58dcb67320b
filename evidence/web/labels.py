"""Names of fixed codes (designs, levels, directions, measures, windows) in the page language."""

from __future__ import annotations

import functools

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..records.followup import LABELS as FOLLOWUP_LABELS
from .i18n import current_lang

DESIGNS = {
    "rct": _l("Randomised controlled trial"),
    "cluster-rct": _l("Cluster-randomised trial"),
    "quasi-experimental": _l("Quasi-experimental study"),
    "controlled-before-after": _l("Controlled before-after study"),
    "controlled-study": _l("Controlled study"),
    "uncontrolled-before-after": _l("Before-after study without a comparison group"),
    "systematic-review": _l("Systematic review"),
}
LEVELS = {
    1: _l("Level 1: randomised trials and systematic reviews"),
    2: _l("Level 2: controlled studies with a comparison group"),
    3: _l("Level 3: before-after studies without a comparison group"),
}
LEVELS_SHORT = {1: _l("Level 1"), 2: _l("Level 2"), 3: _l("Level 3")}
DIRECTIONS = {
    "benefit": _l("Favourable effect"),
    "harm": _l("Unfavourable effect"),
    "unclear": _l("No clear effect"),
}
MEASURES = {
    "OR": _l("odds ratio"),
    "RR": _l("risk ratio"),
    "RD": _l("risk difference"),
    "MD": _l("mean difference"),
    "SMD": _l("standardised mean difference"),
    "ROM": _l("ratio of means"),
    "GEN": _l("effect size"),
    "PR": _l("proportion"),
}
PUBLICATION_TYPES = {
    "journal-article": _l("Journal article"), "book-chapter": _l("Book chapter"), "report": _l("Report"),
    "thesis": _l("Thesis"), "conference-paper": _l("Conference paper"), "web-page": _l("Web page"),
    "other": _l("Other"),
}
SORTS = {
    "relevance": _l("Relevance"), "effect": _l("Effect size"), "strength": _l("Strength of evidence"),
    "year": _l("Year, newest first"),
}
RISK_OF_BIAS = {"low": _l("low"), "some-concerns": _l("some concerns"), "high": _l("high"), "unclear": _l("unclear")}
FACET_TITLES = {
    "intervention": _l("Intervention"), "target_group": _l("Target group"), "outcome": _l("Outcome"),
    "evidence_level": _l("Evidence level"), "design": _l("Study design"), "country": _l("Country"),
    "direction": _l("Direction of effect"), "decade": _l("Decade"),
    "year_from": _l("Year from"), "year_to": _l("Year to"),
}
#: Names of the raw numbers of an effect, in metafor's escalc names.
DATA_FIELDS = {
    "ai": _l("events, intervention group"), "bi": _l("non-events, intervention group"),
    "ci": _l("events, comparison group"), "di": _l("non-events, comparison group"),
    "n1i": _l("participants, intervention group"), "n2i": _l("participants, comparison group"),
    "m1i": _l("mean, intervention group"), "m2i": _l("mean, comparison group"),
    "sd1i": _l("standard deviation, intervention group"), "sd2i": _l("standard deviation, comparison group"),
    "yi": _l("reported effect (analysis scale)"), "vi": _l("reported sampling variance"),
    "sei": _l("reported standard error"), "estimate": _l("reported estimate"),
    "ci_low": _l("reported lower confidence limit"), "ci_high": _l("reported upper confidence limit"),
    "ci_level": _l("confidence level"), "pval": _l("p-value"), "t": _l("t statistic"), "f": _l("F statistic"),
    "direction": _l("direction"), "events": _l("events"), "n": _l("participants"),
    "proportion": _l("proportion"), "proportion_high": _l("upper proportion"),
    "p1i": _l("proportion, intervention group"), "p2i": _l("proportion, comparison group"),
    "n_total": _l("participants in total"), "text": _l("as reported"),
}


#: translated labels remembered per (language, table, key): the catalogs never change while the app runs
_MEMO: dict = {}
MEMO_ENTRIES = 4096


def _label(table: dict, key, default) -> str:
    """``str(table[key])`` (a lazy translation) in the page language, or ``str(default)`` when absent.

    A lazy string looks up the request's locale and catalog each time it is read; a search page
    reads ~100 of them (designs, levels, directions of each hit and facet value).
    """
    try:
        found = key in table
    except TypeError:  # unhashable
        found = False
    if not found:
        return str(default)
    if not has_request_context():
        return str(table[key])
    memo = (current_lang(), id(table), key)
    out = _MEMO.get(memo)
    if out is None:
        out = str(table[key])
        if len(_MEMO) < MEMO_ENTRIES:
            _MEMO[memo] = out
    return out


def design(code: str) -> str:
    return _label(DESIGNS, code, code)


def level(value) -> str:
    return _label(LEVELS, _int(value), value)


def level_short(value) -> str:
    return _label(LEVELS_SHORT, _int(value), value)


def direction(code: str | None) -> str:
    return _label(DIRECTIONS, code or "unclear", code)


def sort_name(code: str) -> str:
    return _label(SORTS, code, code)


def measure(code: str) -> str:
    return _label(MEASURES, code, code)


def followup(code: str) -> str:
    return FOLLOWUP_LABELS.get(code, {}).get(current_lang(), code)


def facet_title(facet: str) -> str:
    return _label(FACET_TITLES, facet, facet)


def facet_value(facet: str, value: str, fallback: str) -> str:
    """How a facet value reads: vocabulary labels come from the index, codes from here."""
    if facet == "design":
        return design(value)
    if facet == "evidence_level":
        return level_short(value)
    if facet == "direction":
        return direction(value)
    if facet == "decade":
        return _decade(value, current_lang())
    if facet == "country":
        return country(value)
    return fallback


def country(name: str | None) -> str:
    """A country's name in the page language (records name countries in English)."""
    if not name:
        return ""
    return _country(name, current_lang())


@functools.lru_cache(maxsize=256)
def _decade(value: str, lang: str) -> str:
    """"1990s" in ``lang`` (the request's: flask-babel translates into it)."""
    return _("%(decade)ss", decade=value)


@functools.lru_cache(maxsize=4096)
def _country(name: str, lang: str) -> str:
    code = _english_territories().get(name)
    return _territories(lang).get(code, name) if code else name


@functools.lru_cache(maxsize=1)
def _english_territories() -> dict:
    from babel import Locale

    english = {v: k for k, v in Locale("en").territories.items()}
    english.update({"United States": "US", "United Kingdom": "GB"})
    return english


@functools.lru_cache(maxsize=8)
def _territories(lang: str) -> dict:
    from babel import Locale

    return dict(Locale(lang).territories.items())


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
