"""The parameters export document, and the document rendered as json, csv or xlsx.

``{"schema", "dataset_version", "generated_at", "settings", "parameters"}`` —
the same for ``evidence export``, ``/api/v1/parameters[.json|.csv|.xlsx]`` and
releases. ``generated_at`` is the build's time, not the wall clock, so
exporting the same build twice gives byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..records.vocabulary import Vocabulary
from ..services.parameters import SCHEMA, Choice, Source, rolled_up
from . import tabular, xlsx

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8; header=present",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA_TYPES)
DEFAULT_CHOICE = Choice()


def document(source: Source, choice: Choice = DEFAULT_CHOICE, vocab: Vocabulary | None = None, **filters) -> dict:
    """The document of the parameters matching ``filters``; with ``vocab``, a parent term includes the terms
    below it (``settings.filters`` keeps what was asked)."""
    settings = choice.settings()
    used = {k: v for k, v in filters.items() if v is not None}
    if used:
        settings["filters"] = used
    return {"schema": SCHEMA, "dataset_version": source.dataset_version, "generated_at": source.generated_at,
            "settings": settings, "parameters": source.select(choice, **rolled_up(used, vocab))}


def to_json(doc: dict) -> bytes:
    """UTF-8 JSON, two-space indent, fields in contract order, no NaN (never valid JSON)."""
    return (json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def from_json(data: bytes | str) -> dict:
    return json.loads(data)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str


def render(doc: dict, fmt: str) -> Rendered:
    renderers = {"json": to_json, "csv": tabular.to_csv, "xlsx": xlsx.to_xlsx}
    if fmt not in renderers:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return Rendered(renderers[fmt](doc), MEDIA_TYPES[fmt], filename(doc, fmt))


def filename(doc: dict, fmt: str) -> str:
    """``evidence-parameters-<dataset_version>[-<method>-<test>].<ext>``: says what is inside."""
    s = doc["settings"]
    suffix = "" if (s["method"], s["test"]) == ("REML", "z") else f"-{s['method']}-{s['test']}"
    if s.get("baseline_risk") is not None:
        suffix += f"-baseline-{s['baseline_risk']:g}"
    return f"evidence-parameters-{doc['dataset_version']}{suffix}.{fmt}"
