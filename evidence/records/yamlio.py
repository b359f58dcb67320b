"""Read and write the human-edited YAML files.

Reading keeps the line of every key, so a validation message can point into
the file (``studies/x.yaml:14: effects.0.data.ai: ...``). Writing puts keys in
one canonical order, so a change to a record is a small, readable diff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class YamlError(ValueError):
    """A file that is not well-formed YAML; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Loaded:
    data: object
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        """Line of ``path`` (``a.b.0.c``), or of its nearest ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0]
        return self.lines.get("")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loading (libyaml when present: several times faster) that keeps dates as text."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _walk(node, path: str, lines: dict[str, int], loader: _Loader):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise YamlError(f"key {key!r} is not text", key_node.start_mark.line + 1)
            if key in out:
                raise YamlError(f"key '{key}' appears twice", key_node.start_mark.line + 1)
            child = f"{path}.{key}" if path else key
            lines[child] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, child, lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(item, f"{path}.{i}" if path else str(i), lines, loader)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def loads(text: str) -> Loaded:
    """Parse one YAML document, keeping key lines."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        raise YamlError(f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        return Loaded(None)
    lines: dict[str, int] = {}
    try:
        data = _walk(node, "", lines, _Loader(""))
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}") from None
    return Loaded(data, lines)


def load(path: Path) -> Loaded:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return loads(text)


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
