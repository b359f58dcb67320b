"""Numbers as a reader expects them: locale decimals, a real minus sign, percent."""

from __future__ import annotations

import math

from flask import current_app, get_template_attribute
from flask_babel import format_decimal

from ..constants import Z
from ..stats import units
from .i18n import current_lang

MINUS = "\u2212"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def num(value, digits: int = 2) -> str:
    """1.234 -> '1,23' (da) or '1.23' (en); negative numbers get a real minus sign."""
    if not _finite(value):
        return "–"
    text = format_decimal(abs(value), format=f"#,##0.{'0' * digits}" if digits else "#,##0")
    return (MINUS + text) if value < 0 and text.strip("0,.") else text


def signed(value, digits: int = 1) -> str:
    text = num(value, digits)
    return text if text.startswith(MINUS) or text == "–" or not text.strip("0,.") else "+" + text


def pct(value, digits: int = 0) -> str:
    """A proportion as a percentage: 0.35 -> '35 %'."""
    if not _finite(value):
        return "–"
    return f"{num(100 * value, digits)}\u00a0%"


def integer(value) -> str:
    return num(value, 0) if _finite(value) else "–"


class RememberedMacros:
    """Macros of ``_macros.html`` whose output depends only on the page language and their arguments
    (:data:`REMEMBERED`), rendered once per (language, arguments) and reused: a search page shows
    them ~60 times. In debug mode (templates may be edited) they are rendered every time."""

    TEMPLATE = "_macros.html"
    REMEMBERED = ("padlocks", "level", "direction")
    ENTRIES = 1024

    def __init__(self):
        self._memo: dict = {}

    def __getattr__(self, name: str):
        if name not in self.REMEMBERED:
            raise AttributeError(name)

        def call(*args):
            if current_app.debug:
                return get_template_attribute(self.TEMPLATE, name)(*args)
            key = (current_lang(), name, *args)
            try:
                return self._memo[key]
            except KeyError:
                pass
            except TypeError:  # an unhashable argument
                return get_template_attribute(self.TEMPLATE, name)(*args)
            out = get_template_attribute(self.TEMPLATE, name)(*args)
            if len(self._memo) < self.ENTRIES:
                self._memo[key] = out
            return out
        return call


#: The process's remembered macros (the templates are the same for every app the process makes).
MACROS = RememberedMacros()


def natural_value(measure: str, value) -> str:
    """An analysis-scale value on the measure's natural scale (ratios exponentiated), formatted."""
    if not _finite(value):
        return "–"
    return num(math.exp(value) if units.is_ratio(measure) else value, 1 if measure == "MD" else 2)


def interval(measure: str, yi, vi) -> str:
    """"0,80 [0,62; 1,03]": an estimate with its 95 % confidence interval, on the natural scale."""
    if not (_finite(yi) and _finite(vi)):
        return "–"
    half = Z * math.sqrt(vi)
    return (f"{natural_value(measure, yi)} [{natural_value(measure, yi - half)}; "
            f"{natural_value(measure, yi + half)}]")
