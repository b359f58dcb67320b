"""Read and write the human-edited YAML files.

Reading keeps the line of every key, so a validation message can point into
the file (``studies/x.yaml:14: effects.0.data.ai: ...``). Writing puts keys in
one canonical order, so a change to a record is a small, readable diff.

Reading is bounded before anything is built (:func:`_guard`, one pass over
libyaml's events): aliases (``*name``) are refused — a record never needs
them, and a few hundred bytes of nested aliases expand to gigabytes (or, as
``&x [*x]``, to a loop) — and so are nesting deeper than :data:`MAX_DEPTH`
and numbers longer than :data:`MAX_DIGITS` digits. Each is a ``YamlError``
with the line, so the file is reported as ``file:line: message``.

An ordinary record (no alias, anchor or tag, text keys, one document) is read
in one pass over libyaml's events (:func:`read_ordinary`), about half the
work of guarding, composing and walking; any other file, well-formed or not,
goes the full way, so what is read and every message stay the same.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: Deepest nesting of mappings and lists a record may have (a real record has 5 or 6 levels).
MAX_DEPTH = 32
#: Most digits a number may have (a count or a measurement has far fewer; Python refuses over 4,300).
MAX_DIGITS = 50
_NUMBER = re.compile(r"[-+]?(?:0[box])?[0-9_a-fA-F.:]*[0-9][0-9_a-fA-F.:eE+-]*")


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


def _guard(text: str) -> None:
    """Refuse aliases, deep nesting and huge numbers, from the events alone (nothing is built yet)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlError(f"an alias (*{event.anchor}) is not allowed in a record: write the value out", line)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"nested more than {MAX_DEPTH} levels deep", line)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and not event.style and len(event.value) > MAX_DIGITS \
                and _NUMBER.fullmatch(event.value) and sum(c.isdigit() for c in event.value) > MAX_DIGITS:
            raise YamlError(f"a number of {sum(c.isdigit() for c in event.value)} digits; at most {MAX_DIGITS} "
                            "are allowed (quote it if it is text)", line)


#: The events an ordinary record is made of; anything else (an alias, several documents) goes the full way.
_NODE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)
_STR_TAG = "tag:yaml.org,2002:str"


def read_ordinary(text: str) -> Loaded | None:
    """``loads(text)`` in one pass over the events, or None when the file is not an ordinary record.

    The result is what guarding, composing and :func:`_walk` give, value for value and line for line: the
    scalars are resolved and constructed by the same loader (text, the most of them, needs no constructor);
    keys and lines are recorded in the same order. None for whatever the full reader could answer otherwise:
    an alias, anchor or explicit tag, a key that is not text or appears twice, nesting or a number the guard
    refuses, several documents or none, a syntax error — the full reader then says what it says today.
    """
    loader = _Loader(text)
    try:
        return _events_to_data(loader)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return None  # the full reader reports it, in its own words
    finally:
        loader.dispose()


def _events_to_data(loader: _Loader) -> Loaded | None:
    get = loader.get_event
    if not isinstance(get(), yaml.StreamStartEvent) or not isinstance(get(), yaml.DocumentStartEvent):
        return None
    lines: dict[str, int] = {}
    root: list = []
    # One frame per open mapping or list: [container, its path, the key waiting for its value (mappings)].
    stack: list[list] = [[root, "", None]]
    while True:
        event = get()
        kind = type(event)
        if kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            stack.pop()
            continue
        if kind is yaml.DocumentEndEvent:
            break
        if kind not in _NODE_EVENTS or event.anchor is not None or event.tag is not None:
            return None
        line = event.start_mark.line + 1
        frame = stack[-1]
        container, path = frame[0], frame[1]
        if type(container) is dict:
            if frame[2] is None:  # a key
                if kind is not yaml.ScalarEvent or loader.resolve(yaml.ScalarNode, event.value, event.implicit) \
                        != _STR_TAG or event.value in container:
                    return None
                frame[2] = event.value
                lines[f"{path}.{event.value}" if path else event.value] = line
                continue
            key, frame[2] = frame[2], None
            path = f"{path}.{key}" if path else key
        else:
            key = len(container)
            if stack[-1] is not stack[0]:
                path = f"{path}.{key}" if path else str(key)
        lines.setdefault(path, line)
        if kind is yaml.ScalarEvent:
            if not event.style and len(event.value) > MAX_DIGITS and _NUMBER.fullmatch(event.value):
                return None  # the guard's to judge
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            value = event.value if tag == _STR_TAG else loader.construct_object(
                yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style), deep=True)
        else:
            if len(stack) > MAX_DEPTH:
                return None
            value = {} if kind is yaml.MappingStartEvent else []
            stack.append([value, path, None])
        if type(container) is dict:
            container[key] = value
        else:
            container.append(value)
    if not isinstance(get(), yaml.StreamEndEvent) or len(root) != 1:
        return None
    return Loaded(root[0], lines)


def loads(text: str) -> Loaded:
    """Parse one YAML document, keeping key lines."""
    ordinary = read_ordinary(text)
    return ordinary if ordinary is not None else read_fully(text)


def read_fully(text: str) -> Loaded:
    """``loads(text)`` for any file: guard, compose, walk (what :func:`read_ordinary` must equal)."""
    try:
        _guard(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(f"not valid YAML: {exc.problem or exc}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}") from None
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
    except (ValueError, RecursionError) as exc:  # a value the guard let through but Python cannot hold
        if isinstance(exc, YamlError):
            raise
        raise YamlError(f"a value cannot be read ({exc.__class__.__name__}: {str(exc)[:120]})") from None
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
