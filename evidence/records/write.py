"""Write study records and vocabularies: canonical key order, atomic replace.

The key order is part of the format: it keeps diffs small and readable, and
lets a curator find the same field in the same place in every file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .yamlio import dumps

KEY_ORDER = [
    # study (and "slug", a vocabulary term's first key)
    "id", "slug", "citation", "provenance", "design", "summary", "effects",
    # citation
    "authors", "et_al", "label", "title", "year", "journal", "volume", "issue", "pages",
    "publisher", "publication_type", "doi", "url", "bibkey", "abstract",
    # provenance
    "source", "source_doi", "source_url", "extraction", "location", "descriptors", "history",
    "date", "by", "change",
    # design
    "type", "country", "setting", "sample_size", "risk_of_bias", "quality_notes",
    # summary
    "da", "en",
    # effect
    "intervention", "comparison", "target_group", "outcome", "outcome_detail",
    "followup_months", "sample", "form", "measure", "data", "poolable", "not_poolable_reason",
    "notes",
    # data, in metafor's order
    "ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "sd1i", "m2i", "sd2i",
    "yi", "vi", "sei", "estimate", "ci_low", "ci_high", "ci_level", "pval", "t", "f", "direction",
    "events", "n", "proportion", "proportion_high", "p1i", "p2i", "n_total", "text",
    # vocabulary terms
    "parent", "areas", "description", "synonyms", "desirable", "default_measure", "needs_curation",
]
ORDER = {key: rank for rank, key in enumerate(KEY_ORDER)}
# Defaults that need not be written out.
_DEFAULTS = {"et_al": False, "sample": "main", "ci_level": 0.95, "needs_curation": False,
             "publication_type": "other", "extraction": "primary", "risk_of_bias": "unclear"}


def _strip_defaults(data):
    if isinstance(data, dict):
        return {k: _strip_defaults(v) for k, v in data.items()
                if not (k in _DEFAULTS and v == _DEFAULTS[k]) and not (k == "poolable" and v is True)}
    if isinstance(data, list):
        return [_strip_defaults(v) for v in data]
    return data


def dump_record(data: dict) -> str:
    """A study record (or any record-shaped mapping) as canonical YAML."""
    return dumps(_strip_defaults(data), ORDER)


def dump_terms(terms: list[dict]) -> str:
    return dumps(_strip_defaults(terms), ORDER)


def write_files(files: dict[Path, str]) -> None:
    """Write every file, or none: all temporaries first, then the renames.

    Renames within one folder are atomic on POSIX, so a reader never sees a
    half-written record, and an error while writing temporaries leaves every
    target as it was.
    """
    temps: list[tuple[str, Path]] = []
    try:
        for target, text in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            temps.append((tmp, target))  # before writing: a failed write (disk full) removes it too
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
    except BaseException:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, target in temps:
        os.replace(tmp, target)
