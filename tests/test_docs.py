"""Everything a user can set or run is documented (as Datasette tests its docs)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from evidence.cli import COMMANDS, main
from evidence.config import ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


@pytest.mark.parametrize("variable", sorted(ENVIRONMENT))
def test_every_setting_is_in_the_readme(variable):
    assert f"`{variable}`" in README


def test_every_environment_variable_the_code_reads_is_documented():
    read = set()
    for path in list((ROOT / "evidence").rglob("*.py")) + list((ROOT / "tests").rglob("*.py")):
        read |= set(re.findall(r"\b(EVIDENCE_[A-Z_]+)\b", path.read_text(encoding="utf-8")))
    assert read, "found no EVIDENCE_ variables at all: the scan is broken"
    missing = sorted(v for v in read if f"`{v}`" not in README)
    assert not missing, f"undocumented settings: {missing}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command):
    assert f"`evidence {command}" in README


def _options(command: click.Command, path: str):
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                if opt.startswith("--") and opt not in ("--help", "--version"):
                    yield path, opt
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            yield from _options(command.get_command(None, name), f"{path} {name}")


def test_every_option_is_documented():
    missing = [f"{path} {opt}" for path, opt in _options(main, "evidence") if opt not in DOCS]
    assert not missing, f"options missing from README.md and docs/: {missing}"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"^make \w+", README, flags=re.M)
    assert "make test" in commands and "make serve" in commands
    assert re.search(r"^make test$", ci, flags=re.M), ".ci/run must run exactly `make test`"
