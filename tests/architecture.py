"""Import rules read from the source with ``ast`` (nothing is imported): the module graph and its cycles,
and every use of another module's private name.

Imports inside functions count: they hide a cycle from Python's import machinery, not from the design.
Used by ``test_architecture.py``; its own tests run it on small packages written to a temporary folder.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.text}"


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """{dotted name: file} of every module of ``packages`` (folders under ``root``)."""
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module an ``from … import`` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, known: dict[str, Path]):
    """(line, imported module, names taken from it, {local name: module}) for each import statement."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                bound = alias.name if alias.asname else alias.name.split(".")[0]
                yield node.lineno, alias.name, [], {local: bound}
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            taken, bound = [], {}
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in known:  # ``from package import module``: the module itself
                    yield node.lineno, sub, [], {alias.asname or alias.name: sub}
                else:
                    taken.append(alias.name)
            if taken or not node.names:
                yield node.lineno, source, taken, bound


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """{module: the project modules it imports}."""
    out: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for _line, target, _taken, _bound in _imports(name, path, known):
            if target in known and target != name:
                out[name].add(target)
    return out


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return sorted(found, key=sorted)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(known: dict[str, Path]) -> list[Violation]:
    """``from x import _name`` and ``x._name`` where ``x`` is another module (project or library)."""
    out = []
    for name, path in known.items():
        module_names: dict[str, str] = {}
        for line, target, taken, bound in _imports(name, path, known):
            module_names.update(bound)
            if target == name:
                continue
            out += [Violation(name, line, f"imports private {target}.{t}") for t in taken if _private(t)]
            out += [Violation(name, line, f"imports private module {target}")
                    for part in target.split(".") if _private(part)]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                    and node.value.id in module_names):
                out.append(Violation(name, node.lineno, f"uses private {module_names[node.value.id]}.{node.attr}"))
    return sorted(set(out), key=lambda v: (v.module, v.line, v.text))
