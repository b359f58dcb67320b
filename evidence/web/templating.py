"""What every template can call: the number filters and the page helpers (labels, rules, forest values)."""

from __future__ import annotations

from . import catalog, labels, links, reported, sections, strength_text
from .formatting import integer, interval, natural_value, num, pct, signed


def init_app(app) -> None:
    app.jinja_env.filters.update(num=num, signed=signed, pct=pct, integer=integer)
    app.jinja_env.globals.update(labels=labels, rule_text=strength_text.rule, rule_parts=strength_text.rule_parts,
                                  term_label=catalog.label,
                                  studies_text=sections.studies_text, forest_value=natural_value,
                                  forest_interval=interval, reported_words=reported.words,
                                  reported_reason=reported.reason, url_for=links.url_for)
