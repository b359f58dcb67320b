"""Numbers as a reader expects them: locale decimals, a real minus sign, percent."""

from __future__ import annotations

import math

from flask_babel import format_decimal

from . import catalog, labels, strength_text

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


def init_app(app) -> None:
    app.jinja_env.filters.update(num=num, signed=signed, pct=pct, integer=integer)
    app.jinja_env.globals.update(labels=labels, rule_text=strength_text.rule,
                                  term_label=catalog.label)
