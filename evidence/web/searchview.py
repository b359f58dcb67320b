"""What the search page shows beyond the service's result: words and links."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..search.facets import FACETS
from . import labels, urlstate
from .formatting import MACROS
from .links import url_for


def message_text(message) -> str:
    """A service message in the page language (the English text if the code is new)."""
    p = message.params
    texts = {
        "too_long": lambda: _("The query was cut to its first %(limit)s characters.", limit=p.get("limit")),
        "unbalanced_quote": lambda: _("A quotation mark had no partner; it was left out."),
        "unbalanced_parenthesis": lambda: _("A parenthesis had no partner; it was left out."),
        "unknown_field": lambda: _("There is no field “%(field)s”; it was searched as a word. "
                                   "Fields you can use: %(fields)s.", field=p.get("field"), fields=p.get("fields")),
        "incomplete_range": lambda: _("The year range was not closed, so it was read as “from that year on”. "
                                      "Write for example year:[2010 TO 2015]."),
        "invalid_value": lambda: _("Part of the query could not be read and was left out (%(error)s).",
                                   error=p.get("error")),
        "simplified": lambda: _("The query could not be read as written, so we searched for the words: %(words)s.",
                                words=p.get("words")),
        "invalid_year": lambda: _("“%(field)s” must be a year such as 2010; it was ignored.",
                                  field=labels.FACET_TITLES.get(p.get("field"), p.get("field"))),
        "no_words": lambda: _("The query has no words to search for, so all studies are shown."),
        "any_words": lambda: _("No study matched all the words, so the list shows studies that match any of them."),
    }
    make = texts.get(message.code)
    return make() if make else message.text


#: Values shown per facet until the reader asks for all of them (``?more=<facet>``, kept in the URL).
TOP_VALUES = 10


def shown_values(values: list, expanded: bool) -> list:
    """The facet's values to list: all when ``expanded``, else the chosen ones and the
    :data:`TOP_VALUES` largest counts, in the facet's own order (a tree stays a tree)."""
    if expanded or len(values) <= TOP_VALUES:
        return list(values)
    by_count = sorted(range(len(values)), key=lambda i: (-values[i].count, i))[:TOP_VALUES]
    keep = set(by_count) | {i for i, v in enumerate(values) if v.selected}
    return [v for i, v in enumerate(values) if i in keep]


# The rows below are objects with attributes, not dicts: the template reads a group's and a hit's values,
# and jinja2 tries an attribute before an item (a dict's every read raised and caught an AttributeError).

@dataclass(slots=True)
class FacetLink:
    """One value of a facet list: its label, count and the link that toggles it."""
    label: str
    count: int
    selected: bool
    depth: int
    url: str


#: One value of a facet list, as the page shows it. A page lists ~80 values: written by the template, their
#: five escaped outputs and three tests each were the page's largest share of escaping (py-spy, cold 1k pages).
FACET_ITEM = ('\n        <li class="depth-{depth}">'
              '<a href="{url}" class="facet-link{selected}"{current} rel="nofollow">'
              '\n          <span class="check" aria-hidden="true"></span><span class="facet-label">{label}</span>'
              '\n          <span class="count">{count}<span class="visually-hidden"> {studies}</span></span>'
              '\n          {chosen}\n        </a></li>\n        ')


@dataclass(slots=True)
class FacetGroup:
    """One facet's list: the values shown, how many are hidden, and the link that shows all or fewer."""
    name: str
    title: str
    values: list[FacetLink]
    hidden: int
    total: int
    toggle_url: str | None = None
    expanded: bool = False

    def items(self, studies_word: str, chosen_word: str) -> Markup:
        """The list's ``<li>`` items (:data:`FACET_ITEM`), every text and link escaped."""
        studies = escape(studies_word)
        chosen = f'<span class="visually-hidden">{escape(chosen_word)}</span>'
        return Markup("".join([FACET_ITEM.format(
            depth=int(v.depth), url=escape(v.url), selected=" selected" if v.selected else "",
            current=' aria-current="true"' if v.selected else "", label=escape(v.label), count=int(v.count),
            studies=studies, chosen=chosen if v.selected else "") for v in self.values]))


def facet_groups(result) -> list[FacetGroup]:
    groups = []
    expanded = {value for name, value in urlstate.current() if name == "more"}
    for facet in FACETS:
        values = result.facets.get(facet) or []
        if not values:
            continue
        shown = shown_values(values, facet in expanded)
        urls = urlstate.toggle_links(facet, [v.value for v in shown])
        group = FacetGroup(
            facet, labels.facet_title(facet),
            [FacetLink(labels.facet_value(facet, v.value, v.label), v.count, v.selected, v.depth, url)
             for v, url in zip(shown, urls)],
            hidden=len(values) - len(shown), total=len(values))
        if group.hidden:
            group.toggle_url = urlstate.link(toggle=("more", facet), keep_page=True)
        elif facet in expanded and len(values) > TOP_VALUES:
            group.toggle_url, group.expanded = urlstate.link(toggle=("more", facet), keep_page=True), True
        groups.append(group)
    return groups


#: A hit's intervention link, built once per intervention a page shows.
TERM_LINK = Markup('<a class="term-link" href="{}">{}</a>')


@dataclass(slots=True)
class HitRow:
    """A hit as the list shows it: its links, its codes named and its badges rendered."""
    url: str
    label: str
    title: str | None
    design: str
    country: str
    year: int | None
    level: Markup
    interventions: Markup  # the links, comma-separated
    outcomes: str
    summary: str | None
    directions: Markup  # each badge followed by a space
    padlocks: Markup | None


def hit_rows(result, terms: dict[str, dict[str, str]]) -> list[HitRow]:
    """The page's hits as :class:`HitRow` (``terms``: :func:`term_labels`).

    Built here rather than by ~12 template calls a hit; a page's hits share a few designs, countries,
    levels, directions and interventions, so each distinct one is named, rendered or linked once.
    """
    design, country, level = cache(labels.design), cache(labels.country), cache(MACROS.level)
    direction, padlocks = cache(MACROS.direction), cache(MACROS.padlocks)
    intervention = cache(lambda slug: TERM_LINK.format(url_for("interventions.show", slug=slug),
                                                       terms["intervention"].get(slug, slug)))
    outcome = terms["outcome"]
    comma, nothing = Markup(", "), Markup("")
    return [HitRow(url_for("studies.show", study_id=h.id), h.label, h.title, design(h.design),
                   country(h.country) if h.country else "", h.year, level(h.evidence_level),
                   comma.join([intervention(slug) for slug in h.interventions]),
                   ", ".join(outcome.get(slug, slug) for slug in h.outcomes), h.summary,
                   nothing.join([direction(d) + " " for d in h.directions]),
                   padlocks(h.strength) if h.strength else None)
            for h in result.hits]


def term_labels(result) -> dict[str, dict[str, str]]:
    """Intervention and outcome labels by slug, from the facets (what a hit's terms read as)."""
    out = {}
    for facet in ("intervention", "outcome"):
        labels_ = out[facet] = {}
        for v in result.facets.get(facet) or ():
            labels_.setdefault(v.value, v.label)
    return out


def active_filters(result) -> list[dict]:
    out = []
    for name, value in urlstate.current():
        if name in FACETS or name in ("year_from", "year_to"):
            known = {v.value: v.label for v in result.facets.get(name, [])}
            shown = labels.facet_value(name, value, known.get(value, value)) if name in FACETS else value
            out.append({"facet": labels.facet_title(name), "value": shown,
                        "url": urlstate.link(toggle=(name, value))})
    return out


def pagination(result) -> list[dict]:
    if result.pages <= 1:
        return []
    window = sorted({1, result.pages, *range(max(1, result.page - 2), min(result.pages, result.page + 2) + 1)})
    out, last = [], 0
    for n in window:
        if n - last > 1:
            out.append({"gap": True})
        out.append({"number": n, "current": n == result.page,
                    "url": urlstate.link(set_={"page": n if n > 1 else None})})
        last = n
    return out


def sort_options() -> list[tuple[str, str]]:
    return [(code, labels.sort_name(code)) for code in labels.SORTS]
