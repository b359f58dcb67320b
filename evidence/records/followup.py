"""Follow-up windows: estimates are pooled only within one window.

Windows follow the usual split of short-, medium- and long-term effects in
social-policy reviews (e.g. WSIPP, Campbell), in months after the start of the
intervention. A study that does not state its follow-up goes in its own window.
"""

from __future__ import annotations

WINDOWS = (
    ("0-12m", "≤ 12 måneder", "≤ 12 months"),
    ("13-36m", "13–36 måneder", "13–36 months"),
    ("37m-plus", "> 36 måneder", "> 36 months"),
    ("not-stated", "ikke oplyst", "not stated"),
)
LABELS = {slug: {"da": da, "en": en} for slug, da, en in WINDOWS}


def followup_window(months: float | None) -> str:
    if months is None:
        return "not-stated"
    if months <= 12:
        return "0-12m"
    if months <= 36:
        return "13-36m"
    return "37m-plus"
