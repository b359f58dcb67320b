"""Write study records and vocabularies: canonical key order, atomic replace.

The key order is part of the format: it keeps diffs small and readable, and
lets a curator find the same field in the same place in every file.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import yaml

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


class _Dumper(yaml.SafeDumper):
    """Block style, unicode kept, long text folded as a literal block."""

    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key: the style people write by hand.
        return super().increase_indent(flow, False)


def _str_representer(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _date_representer(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value.isoformat())


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(dt.date, _date_representer)


def ordered(data, order: dict):
    """``data`` with mapping keys in the order given by ``order``.

    ``order`` maps a key to its rank; unknown keys go last, alphabetically, so
    nothing is ever dropped. Nested mappings use the same table, and ``None``
    values are left out so records stay short.
    """
    if isinstance(data, dict):
        keys = sorted(
            (k for k, v in data.items() if v is not None and v != {} and v != []),
            key=lambda k: (order.get(k, 10_000), k),
        )
        return {k: ordered(data[k], order) for k in keys}
    if isinstance(data, list):
        return [ordered(item, order) for item in data]
    return data


def dumps(data, order: dict | None = None) -> str:
    if order is not None:
        data = ordered(data, order)
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=88,
    )


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
