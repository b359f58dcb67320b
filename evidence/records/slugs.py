"""Slugs: stable, readable ids made from names."""

from __future__ import annotations

import re
import unicodedata

# Danish letters have conventional ASCII spellings; NFKD alone would drop ø.
_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa", "ß": "ss"})


def slugify(text: str, max_length: int = 60) -> str:
    text = unicodedata.normalize("NFKD", str(text).translate(_TRANSLITERATE))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_length].rstrip("-") or "x"


def unique(slug: str, taken: set[str]) -> str:
    """``slug``, or ``slug-b``, ``slug-c``, … when taken (the first keeps its name)."""
    if slug not in taken:
        return slug
    for suffix in "bcdefghijklmnopqrstuvwxyz":
        candidate = f"{slug}-{suffix}"
        if candidate not in taken:
            return candidate
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"
