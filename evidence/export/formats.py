"""One export document rendered as json, csv or xlsx: bytes, media type and file name."""

from __future__ import annotations

from dataclasses import dataclass

from .document import to_json
from .tabular import to_csv
from .xlsx import to_xlsx

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8; header=present",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA_TYPES)
RENDERERS = {"json": to_json, "csv": to_csv, "xlsx": to_xlsx}


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str


def render(doc: dict, fmt: str) -> Rendered:
    if fmt not in RENDERERS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return Rendered(RENDERERS[fmt](doc), MEDIA_TYPES[fmt], filename(doc, fmt))


def filename(doc: dict, fmt: str) -> str:
    """``evidence-parameters-<dataset_version>[-<method>-<test>].<ext>``: says what is inside."""
    s = doc["settings"]
    suffix = "" if (s["method"], s["test"]) == ("REML", "z") else f"-{s['method']}-{s['test']}"
    if s.get("baseline_risk") is not None:
        suffix += f"-baseline-{s['baseline_risk']:g}"
    return f"evidence-parameters-{doc['dataset_version']}{suffix}.{fmt}"
