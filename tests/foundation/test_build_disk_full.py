"""``evidence build`` on a disk that fills up: one line, exit 1, the published build untouched, nothing left."""

from __future__ import annotations

import os
import subprocess

import pytest

from evidence import versions


@pytest.fixture
def small_instance(settings):
    """The instance folder on a real 8 MiB tmpfs (needs root and mount; skipped otherwise)."""
    if settings.sqlite_path is None:
        pytest.skip("the SQLite database lives in the instance folder; PostgreSQL's disk is not ours to fill")
    settings.instance_dir.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(settings.instance_dir)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root?)")
    yield settings.instance_dir
    subprocess.run(["umount", "--lazy", str(settings.instance_dir)], check=True)  # mapped files may still be open


def test_a_build_that_fills_the_disk_changes_nothing(cli, settings, small_instance, data_dir):
    assert cli("build").exit_code == 0
    before = versions.resolve(settings)
    names = sorted(os.listdir(small_instance))
    free = os.statvfs(small_instance)
    (small_instance / "filler").write_bytes(b"x" * (free.f_bavail * free.f_frsize - 200_000))
    path = data_dir / "studies" / "aronson-1948.yaml"
    path.write_text(path.read_text().replace("ai: 4", "ai: 5"))
    for args in (("build",), ("build", "--full")):
        result = cli(*args)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert result.exit_code == 1 and len(lines) == 1, result.output
        assert "Traceback" not in result.output and "Nothing was changed" in lines[0]
        assert "full" in lines[0] or "space" in lines[0], lines[0]
        assert sorted(os.listdir(small_instance)) == sorted([*names, "filler"])  # no half-written folder
        after = versions.resolve(settings)
        assert after.folder == before.folder
        versions.verify_content(after)
    (small_instance / "filler").unlink()
    assert cli("build").exit_code == 0
