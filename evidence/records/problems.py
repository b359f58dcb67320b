"""A problem in a data file, located (file, line, field), and the helpers that locate it.

Shared by the study and vocabulary checks (``evidence.records.validate``) and
the price catalogue (``evidence.records.prices``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field or '(file)'}: {self.message}"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def flatten(messages, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict as (``a.0.b``, message) pairs."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            key = "" if key == "_schema" else str(key)
            child = f"{prefix}.{key}" if prefix and key else (key or prefix)
            out.extend(flatten(value, child))
        return out
    if isinstance(messages, list):
        out = []
        for item in messages:
            out.extend(flatten(item, prefix) if isinstance(item, (dict, list)) else [(prefix, str(item))])
        return out
    return [(prefix, str(messages))]
