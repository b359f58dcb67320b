"""The house rules on imports, over evidence/ and importers/: no import cycle (imports inside functions
included), no private name of another module. The checker itself is tested on small fake packages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from architecture import cycles, graph, modules, private_uses

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("evidence", "importers")


@pytest.fixture(scope="module")
def project() -> dict[str, Path]:
    return modules(ROOT, PACKAGES)


def _uses(known: dict[str, Path]) -> set[str]:
    return {f"{v.module}: {v.text}" for v in private_uses(known)}


def test_no_import_cycles(project):
    assert [sorted(c) for c in cycles(graph(project))] == []


def test_no_private_name_of_another_module(project):
    assert sorted(_uses(project)) == []


def _crossing(edges: dict[str, set[str]], source: str, target: str) -> list[str]:
    return sorted(f"{module} -> {imported}" for module, imported_ in edges.items() if module.startswith(source)
                  for imported in imported_ if imported.startswith(target))


def test_pages_and_api_share_services_not_each_other(project):
    """web/ and api/ only read arguments and render; what both need is a service (evidence/services/)."""
    edges = graph(project)
    assert _crossing(edges, "evidence.web", "evidence.api") == []
    assert _crossing(edges, "evidence.api", "evidence.web") == []
    assert _crossing(edges, "evidence.services", "evidence.api") == []
    assert _crossing(edges, "evidence.services", "evidence.web") == []


# ------------------------------------------------------------------ the checker, on packages written here


def _package(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return modules(root, ("pkg",))


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    known = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from . import b\n",
        "pkg/b.py": "def later():\n    from .a import thing\n    return thing\n",
        "pkg/c.py": "import pkg.a\n",
    })
    assert cycles(graph(known)) == [frozenset({"pkg.a", "pkg.b"})]


def test_a_longer_cycle_through_subpackages_is_one_component(tmp_path):
    known = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "from ..top import x\n",
        "pkg/sub/leaf.py": "from pkg.sub import y\n",
        "pkg/top.py": "from .sub.leaf import z\n",
        "pkg/alone.py": "import os\nfrom . import top\n",
    })
    assert cycles(graph(known)) == [frozenset({"pkg.sub", "pkg.sub.leaf", "pkg.top"})]


def test_no_cycle_is_reported_for_a_tree(tmp_path):
    known = _package(tmp_path, {"pkg/__init__.py": "from . import a\n", "pkg/a.py": "from .b import f\n",
                                "pkg/b.py": "import json\n"})
    assert cycles(graph(known)) == []


def test_private_names_of_other_modules_are_found(tmp_path):
    known = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "_hidden = 1\n__version__ = '1'\nuse = _hidden\n",
        "pkg/b.py": "from .a import _hidden, __version__\n",
        "pkg/c.py": "from pkg import a\nvalue = a._hidden + len(a.__name__)\n",
        "pkg/d.py": "import pkg.a as alias\nimport os\nvalue = alias._hidden, os._exit\n",
        "pkg/e.py": "from ._private_module import f\n",
        "pkg/_private_module.py": "def f():\n    return 1\n",
        "pkg/f.py": "class K:\n    _own = 1\n\n    def m(self):\n        return self._own\n",
    })
    assert sorted(f"{v.module}:{v.line}: {v.text}" for v in private_uses(known)) == [
        "pkg.b:1: imports private pkg.a._hidden",
        "pkg.c:2: uses private pkg.a._hidden",
        "pkg.d:3: uses private os._exit",
        "pkg.d:3: uses private pkg.a._hidden",
        "pkg.e:1: imports private module pkg._private_module",
    ]
