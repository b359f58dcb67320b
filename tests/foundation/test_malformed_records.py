"""Hostile YAML records are refused fast, as ``file:line: message``, by validate and build alike."""

from __future__ import annotations

import time

import pytest

from evidence.records.yamlio import MAX_DEPTH, YamlError, loads

#: 9 levels of 9 aliases: 360 bytes that expand to 387 million strings
BOMB = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))

CASES = {
    "alias bomb": (BOMB, 2, "alias"),
    "self-referencing alias": ("id: x\nv: &x [*x]\n", 2, "alias"),
    "5,000-digit integer": ("id: x\nn: " + "9" * 5000 + "\n", 2, "5000 digits"),
    "deep nesting": ("id: x\nv: " + "[" * 40 + "]" * 40 + "\n", 2, "levels deep"),
    "very deep nesting": ("id: x\nv: " + "[" * 20000 + "]" * 20000 + "\n", 2, "dee|depth"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_loads_refuses_with_a_line(case):
    text, line, words = CASES[case]
    started = time.monotonic()
    with pytest.raises(YamlError, match=words) as caught:
        loads(text)
    assert caught.value.line == line
    assert time.monotonic() - started < 1


def test_the_bomb_is_small():
    assert len(BOMB.encode()) < 400


def test_ordinary_values_still_load():
    data = loads("id: x\nn: 12\nbig: 123456789012345678901234567890\ntext: '" + "9" * 5000 + "'\n"
                 "when: 2026-01-01\nnested: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n").data
    assert data["n"] == 12 and data["big"] == 123456789012345678901234567890 and len(data["text"]) == 5000


@pytest.mark.parametrize("command", [("validate",), ("build",)])
@pytest.mark.parametrize("case", ["alias bomb", "self-referencing alias", "5,000-digit integer"])
def test_validate_and_build_name_the_file_and_line(cli, settings, data_dir, command, case):
    if command == ("build",) and settings.sqlite_path is None:
        pytest.skip("one database is enough: the build stops at validation")
    text, line, _ = CASES[case]
    (data_dir / "studies" / "hostile.yaml").write_text(text)
    started = time.monotonic()
    result = cli(*command)
    assert result.exit_code == 1
    assert f"studies/hostile.yaml:{line}: " in result.output
    assert "Traceback" not in result.output
    assert time.monotonic() - started < 30
    assert not (settings.instance_dir / "index").exists(), "a refused build writes nothing"
