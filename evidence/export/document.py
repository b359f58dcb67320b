"""The parameters export document, and the document rendered as json, csv or xlsx.

``{"schema", "dataset_version", "generated_at", "settings", "parameters"}`` —
the same for ``evidence export``, ``/api/v1/parameters[.json|.csv|.xlsx]`` and
releases. ``generated_at`` is the build's time, not the wall clock, so
exporting the same build twice gives byte-identical files.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

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
    out = io.BytesIO()
    write_json(header_of(doc), doc["parameters"], out)
    return out.getvalue()


def header_of(doc: dict) -> dict:
    """The document without its parameters: what the streaming writers take besides them."""
    return {k: v for k, v in doc.items() if k != "parameters"}


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False)


def write_json(header: dict, parameters: Iterable[dict], out: BinaryIO) -> int:
    """Write ``{**header, "parameters": [...]}`` as :func:`json.dumps` with ``indent=2`` would, one
    parameter at a time; return how many were written.

    The text around the list comes from dumping the header with a one-item list and cutting at
    that item; each parameter is dumped alone and indented two levels (JSON strings hold no raw
    newline, so every newline in a dump is the layout's). A test compares the bytes with json.dumps.
    """
    around = _dumps({**header, "parameters": [None]})
    before, _null, after = around.rpartition("null")  # the last value: '..."parameters": [\n    ' null '\n  ]\n}'
    count = 0
    for p in parameters:
        text = _dumps(p).replace("\n", "\n    ")
        out.write(((before if count == 0 else ",\n    ") + text).encode("utf-8"))
        count += 1
    if count == 0:
        out.write(_dumps({**header, "parameters": []}).encode("utf-8"))
    else:
        out.write(after.encode("utf-8"))
    out.write(b"\n")
    return count


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
