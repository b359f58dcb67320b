"""A full disk, a read-only folder, a denied permission: one line naming the path, exit 1, nothing changed."""

from __future__ import annotations

import errno
import os
import subprocess

import pytest
from click.testing import CliRunner

from evidence import outputs
from evidence.cli import main


@pytest.fixture
def run(built_settings):
    env = {"EVIDENCE_DATA_DIR": str(built_settings.data_dir), "EVIDENCE_INSTANCE_DIR": str(built_settings.instance_dir),
           "EVIDENCE_DATABASE_URL": built_settings.database_url, "EVIDENCE_INDEX_DIR": str(built_settings.index_dir)}

    def invoke(*args, **extra_env):
        return CliRunner().invoke(main, list(args), env={**env, **extra_env}, catch_exceptions=False)

    return invoke


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def _full_disk_after(nbytes: int):
    def fill(fd, data):
        os.write(fd, data[:nbytes])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return fill


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_export_on_a_full_disk_keeps_the_old_file(run, tmp_path, monkeypatch, fmt):
    target = tmp_path / f"parameters.{fmt}"
    target.write_bytes(b"the previous export")
    monkeypatch.setattr(outputs, "_fill", _full_disk_after(8192))
    line = _one_line(run("export", "parameters", "--format", fmt, "--output", str(target)))
    assert str(target) in line and "disk is full" in line and "Nothing was changed" in line
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name], "no temporary file left"


@pytest.mark.parametrize("error, words", [(errno.EACCES, "permission denied"), (errno.EROFS, "read-only")])
def test_export_into_a_folder_that_refuses(run, tmp_path, monkeypatch, error, words):
    def refuse(*args, **kwargs):
        raise OSError(error, os.strerror(error), str(tmp_path))

    monkeypatch.setattr(outputs.tempfile, "mkstemp", refuse)
    line = _one_line(run("export", "parameters", "--output", str(tmp_path / "p.json")))
    assert str(tmp_path / "p.json") in line and words in line
    assert list(tmp_path.iterdir()) == []


def test_export_into_a_missing_folder(run, tmp_path):
    line = _one_line(run("export", "parameters", "--output", str(tmp_path / "nowhere" / "p.json")))
    assert "does not exist" in line


def test_release_on_a_full_disk_leaves_no_release(run, tmp_path, monkeypatch):
    releases = tmp_path / "releases"

    def full(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr("pathlib.Path.write_bytes", full)
    line = _one_line(run("release", EVIDENCE_RELEASES_DIR=str(releases)))
    assert str(releases) in line and "disk is full" in line
    assert list(releases.iterdir()) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB tmpfs (needs root and mount; skipped otherwise)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root?)")
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=True)


def test_export_on_a_really_full_disk(run, tiny_disk):
    (tiny_disk / "filler").write_bytes(b"x" * (256 * 1024 - 20_000))
    target = tiny_disk / "parameters.xlsx"
    target.write_bytes(b"old")
    line = _one_line(run("export", "parameters", "--format", "xlsx", "--output", str(target)))
    assert str(target) in line and "disk is full" in line
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "parameters.xlsx"]
