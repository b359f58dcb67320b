"""The strength rating's reasons in the page language.

The pooling code writes its reasons in English (``evidence.stats.strength``);
the patterns below translate the known ones and leave any other as written.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import ngettext

from ..stats.strength import RULE_TEXT_DA, RULE_TEXT_EN
from .i18n import current_lang


def rule() -> str:
    return RULE_TEXT_EN if current_lang() == "en" else RULE_TEXT_DA


_STEP = re.compile(r"\(([a-z])\) ")


def rule_parts() -> tuple[str, list[str], str]:
    """The rule as the panel lays it out: the start, the list of weaknesses (a)–(e), the end."""
    text = rule()
    pieces = _STEP.split(text)
    if len(pieces) < 3:
        return text, [], ""
    head, rest = pieces[0].strip(), pieces[1:]
    items = [f"({letter}) {body.strip().rstrip(';').strip()}" for letter, body in zip(rest[::2], rest[1::2])]
    last = items[-1]
    stop = last.find(". ")
    tail = ""
    if stop != -1:
        items[-1], tail = last[:stop + 1], last[stop + 2:].strip()
    return head, items, tail


_PATTERNS = [
    (re.compile(r"^(\d+) stud(?:y|ies): start at (\d+)$"),
     lambda m: ngettext("%(num)s study: start at %(score)s", "%(num)s studies: start at %(score)s", int(m[1]),
                        score=m[2])),
    (re.compile(r"^-1: only (\d+)% of studies are randomised trials or reviews$"),
     lambda m: _("−1: only %(share)s %% of the studies are randomised trials or reviews", share=m[1])),
    (re.compile(r"^-1: no study has a comparison group$"), lambda m: _("−1: no study has a comparison group")),
    (re.compile(r"^participants unknown: no sample-size step applied$"),
     lambda m: _("participants unknown: no sample-size step applied")),
    (re.compile(r"^-1: (\d+) participants in total \(< (\d+)\)$"),
     lambda m: _("−1: %(n)s participants in total (fewer than %(min)s)", n=m[1], min=m[2])),
    (re.compile(r"^-1: considerable heterogeneity \(I2 = (\d+)%\)$"),
     lambda m: _("−1: considerable heterogeneity (I² = %(i2)s %%)", i2=m[1])),
    (re.compile(r"^-1: (\d+)% of studies at high risk of bias$"),
     lambda m: _("−1: %(share)s %% of the studies at high risk of bias", share=m[1])),
    (re.compile(r"^designs not given: no design step applied$"),
     lambda m: _("designs not given: no design step applied")),
    (re.compile(r"^no studies$"), lambda m: _("no studies")),
]


def reason(text: str) -> str:
    if current_lang() == "en":
        return text.replace("-1:", "−1:")
    for pattern, translate in _PATTERNS:
        match = pattern.match(text)
        if match:
            return translate(match)
    return text
