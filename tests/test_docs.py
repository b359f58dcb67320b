"""Everything a user can set or run is documented (as Datasette tests its docs).

Two checkers, each tested on a made-up undocumented name so that they are seen to fail:

- every environment variable the code reads (``os.environ``/``getenv`` in Python, ``${NAME:-…}`` in
  shell scripts, and any ``EVIDENCE_*`` name) is named in README.md or docs/ as ```NAME``` or ``NAME=``;
- every ``evidence`` command, at every level of the click tree, is named as ```evidence <path>`` and each of
  its options appears in a paragraph (a block between blank lines: a list item, table, code block) that
  names the command.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from evidence.cli import COMMANDS, main
from evidence.config import ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOC_FILES = {"README.md": README} | {f"docs/{p.name}": p.read_text(encoding="utf-8")
                                     for p in sorted((ROOT / "docs").glob("*.md"))}
DOCS = "\n\n".join(DOC_FILES.values())

#: Where the code that reads the environment lives (tests included: their switches are documented too).
SOURCE_DIRS = ("evidence", "importers", "deploy", "scripts", "benchmarks", "tests")
SOURCE_FILES = ("Makefile", ".ci/run")
#: Variables read that are not ours to document: the system's own.
NOT_SETTINGS = {"PATH": "passed on to child processes", "USER": "the default of `evidence import --by`"}

PYTHON_READ = re.compile(r"""(?:os\.environ(?:\.get|\.setdefault|\.pop)?|os\.getenv|\bgetenv)\s*[\[(]\s*"""
                         r"""["']([A-Z][A-Z0-9_]*)["']""")
SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?-")  # ${NAME:-default}: an optional input
OUR_NAME = re.compile(r"\b(EVIDENCE_[A-Z0-9_]*[A-Z0-9])\b")


def variables_read(paths) -> dict[str, set[str]]:
    """Environment variable -> the files that read it."""
    read: dict[str, set[str]] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary fixtures
        patterns = (PYTHON_READ, OUR_NAME) if path.suffix == ".py" else (SHELL_READ, PYTHON_READ, OUR_NAME)
        for pattern in patterns:
            for name in pattern.findall(text):
                read.setdefault(name, set()).add(path.name)
    return read


def undocumented_variables(read, docs: str) -> list[str]:
    return sorted(name for name in read if name not in NOT_SETTINGS and f"`{name}`" not in docs
                  and f"{name}=" not in docs)


def source_paths():
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in ("", ".py", ".sh") \
                    and path != Path(__file__).resolve():  # this file's made-up names are the checkers' tests
                yield path
    for name in SOURCE_FILES:
        if (ROOT / name).is_file():
            yield ROOT / name


def commands(command: click.Command, path: str = "evidence"):
    """(``evidence sub …``, command) for the command and every command below it."""
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            yield from commands(command.get_command(None, name), f"{path} {name}")


def options(command: click.Command) -> list[str]:
    return [opt for param in command.params if isinstance(param, click.Option) for opt in param.opts
            if opt.startswith("--") and opt not in ("--help", "--version")]


def undocumented_commands(group: click.Command, docs: str) -> list[str]:
    """Commands not named as ``evidence …`` and options not in a paragraph that names their command."""
    paragraphs = re.split(r"\n[ \t]*\n", docs)
    missing = []
    for path, command in commands(group):
        if path != "evidence" and f"`{path}" not in docs:
            missing.append(path)
        naming = [p for p in paragraphs if path in p]
        missing += [f"{path} {opt}" for opt in options(command) if not any(opt in p for p in naming)]
    return missing


def test_every_environment_variable_the_code_reads_is_documented():
    read = variables_read(source_paths())
    assert set(ENVIRONMENT) <= read.keys() and {"GUNICORN_BIND", "EVIDENCE_TEST_DATABASE_URL"} <= read.keys(), \
        "the scan misses variables it should see: it is broken"
    missing = undocumented_variables(read, DOCS)
    assert not missing, f"read but not in README.md or docs/: {missing} ({ {m: read[m] for m in missing} })"


@pytest.mark.parametrize("variable", sorted(ENVIRONMENT))
def test_every_setting_is_in_the_readme(variable):
    assert f"`{variable}`" in README


def test_every_command_and_option_is_documented():
    assert len(list(commands(main))) > len(COMMANDS), "the walk misses the subcommands: it is broken"
    missing = undocumented_commands(main, DOCS)
    assert not missing, f"commands or options missing from README.md and docs/: {missing}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command):
    assert f"`evidence {command}" in README


def test_the_variable_checker_finds_an_undocumented_variable(tmp_path):
    script = tmp_path / "tool.py"
    script.write_text('import os\nA = os.environ.get("EVIDENCE_NOT_A_SETTING", "")\nB = os.getenv("ZZ_UNKNOWN")\n'
                      'C = os.environ["EVIDENCE_DATA_DIR"]\nD = environ.get("HTTP_HOST")  # WSGI, not the OS\n')
    shell = tmp_path / "run"
    shell.write_text('#!/bin/sh\nport=${ZZ_PORT:-5432}\necho "$HOME"\n')
    read = variables_read([script, shell])
    assert set(read) == {"EVIDENCE_NOT_A_SETTING", "ZZ_UNKNOWN", "EVIDENCE_DATA_DIR", "ZZ_PORT"}
    assert undocumented_variables(read, DOCS) == ["EVIDENCE_NOT_A_SETTING", "ZZ_PORT", "ZZ_UNKNOWN"]


def test_the_command_checker_finds_an_undocumented_command_and_option():
    @click.group()
    def fake():
        """A made-up command tree."""

    @fake.command("build")
    @click.option("--full", is_flag=True)
    @click.option("--no-such-option", is_flag=True)
    def build():
        """Documented, but one option is not."""

    @fake.group("frobnicate")
    def frobnicate():
        """Not documented at all."""

    @frobnicate.command("now")
    @click.option("--hard", is_flag=True)
    def now():
        """Not documented either."""

    assert undocumented_commands(fake, DOCS) == ["evidence build --no-such-option", "evidence frobnicate",
                                                 "evidence frobnicate now", "evidence frobnicate now --hard"]
    # an option named only far away from its command does not count
    assert undocumented_commands(fake, "`evidence build --full`\n\n--no-such-option\n\n`evidence frobnicate now`"
                                 " --hard") == ["evidence build --no-such-option"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands_ = re.findall(r"^make \w+", README, flags=re.M)
    assert "make test" in commands_ and "make serve" in commands_
    assert re.search(r"^make test$", ci, flags=re.M), ".ci/run must run exactly `make test`"
