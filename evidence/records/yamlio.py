"""Read the human-edited YAML files (``evidence.records.write`` writes them).

Reading keeps the line of every key, so a validation message can point into
the file (``studies/x.yaml:14: effects.0.data.ai: ...``).

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


#: Plain-scalar text -> its value (:data:`_TEXT` for text): a plain scalar's tag and value depend on its text
#: alone, and most texts recur (keys, slugs, small numbers), so the resolver's regexps and the constructor run
#: once per distinct text, not once per scalar (about a quarter of reading a record). Emptied when full.
_PLAIN: dict[str, object] = {}
_PLAIN_MAX = 1 << 16
_TEXT = object()
_MISSING = object()


def _plain(loader: _Loader, event: yaml.ScalarEvent) -> object:
    """The value of a plain scalar as the loader resolves and constructs it, remembered in :data:`_PLAIN`."""
    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    value = _TEXT if tag == _STR_TAG else loader.construct_object(
        yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style), deep=True)
    if len(_PLAIN) >= _PLAIN_MAX:
        _PLAIN.clear()
    _PLAIN[event.value] = value
    return value


def _is_text(loader: _Loader, event: yaml.ScalarEvent) -> bool:
    """Whether a scalar resolves to text (a key must)."""
    if event.implicit[0]:
        value = _PLAIN.get(event.value, _MISSING)
        return (_plain(loader, event) if value is _MISSING else value) is _TEXT
    return loader.resolve(yaml.ScalarNode, event.value, event.implicit) == _STR_TAG


def _events_to_data(loader: _Loader) -> Loaded | None:
    get = loader.get_event
    if not isinstance(get(), yaml.StreamStartEvent) or not isinstance(get(), yaml.DocumentStartEvent):
        return None
    scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    remembered = _PLAIN.get
    lines: dict[str, int] = {}
    root: list = []
    # One frame per open mapping or list: [container, its path, the key waiting for its value (mappings), that
    # key's path]. A value in a mapping has its key's line, recorded with the key, so only a list item's path
    # is made for its line; a scalar in a mapping needs no path at all.
    stack: list[list] = [[root, "", None, None]]
    while True:
        event = get()
        kind = type(event)
        if kind in ends:
            stack.pop()
            continue
        if kind is yaml.DocumentEndEvent:
            break
        if kind not in _NODE_EVENTS or event.anchor is not None or event.tag is not None:
            return None
        frame = stack[-1]
        container = frame[0]
        in_mapping = type(container) is dict
        if in_mapping:
            key = frame[2]
            if key is None:  # a key
                if kind is not scalar_event or event.value in container or not _is_text(loader, event):
                    return None
                text = event.value
                frame[2] = text
                path = frame[1]
                frame[3] = path = f"{path}.{text}" if path else text
                lines[path] = event.start_mark.line + 1
                continue
            frame[2] = None
            path = frame[3]
        else:
            key = len(container)
            path = frame[1]
            if frame is not stack[0]:
                path = f"{path}.{key}" if path else str(key)
            lines.setdefault(path, event.start_mark.line + 1)
        if kind is scalar_event:
            text = event.value
            if not event.style and len(text) > MAX_DIGITS and _NUMBER.fullmatch(text):
                return None  # the guard's to judge
            if event.implicit[0]:
                value = remembered(text, _MISSING)
                if value is _MISSING:
                    value = _plain(loader, event)
                if value is _TEXT:
                    value = text
            else:
                tag = loader.resolve(yaml.ScalarNode, text, event.implicit)
                value = text if tag == _STR_TAG else loader.construct_object(
                    yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style), deep=True)
        else:
            if len(stack) > MAX_DEPTH:
                return None
            value = {} if kind is mapping_start else []
            stack.append([value, path, None, None])
        if in_mapping:
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
