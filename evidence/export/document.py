"""The parameters export document: one dict, and its JSON bytes.

``{"schema", "dataset_version", "generated_at", "settings", "parameters"}`` —
the same for ``evidence export``, ``/api/v1/parameters[.json]`` and releases.
``generated_at`` is the build's time, not the wall clock, so exporting the
same build twice gives byte-identical files.
"""

from __future__ import annotations

import json

from ..services.parameters import SCHEMA, Choice, Source


def document(source: Source, choice: Choice = Choice(), **filters) -> dict:
    settings = choice.settings()
    used = {k: v for k, v in filters.items() if v is not None}
    if used:
        settings["filters"] = used
    return {"schema": SCHEMA, "dataset_version": source.dataset_version, "generated_at": source.generated_at,
            "settings": settings, "parameters": source.select(choice, **used)}


def to_json(doc: dict) -> bytes:
    """UTF-8 JSON, two-space indent, fields in contract order, no NaN (never valid JSON)."""
    return (json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def from_json(data: bytes | str) -> dict:
    return json.loads(data)
