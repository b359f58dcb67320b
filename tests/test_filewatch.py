"""The read side's change watch: quiet until a watched file is written, truncated or removed, then never again."""

from __future__ import annotations

import os
import sys

import pytest

from evidence.filewatch import Watch

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@pytest.fixture
def files(tmp_path):
    paths = []
    for name in ("a.npy", "b.npy"):
        path = tmp_path / name
        path.write_bytes(b"x" * 4096)
        paths.append(path)
    return paths


@pytest.mark.parametrize("change", [
    lambda p: os.truncate(p, 10),
    lambda p: p.write_bytes(b"y" * 4096),
    lambda p: os.utime(p, ns=(0, 0)),
    lambda p: p.unlink(),
    lambda p: p.rename(p.with_suffix(".old")),
])
def test_any_change_ends_the_quiet_for_good(files, change):
    watch = Watch.start(files)
    assert watch is not None and watch.quiet() and watch.quiet()
    change(files[1])
    assert not watch.quiet()
    assert not watch.quiet(), "the news is read once, but the watch stays changed"


def test_reading_does_not_count_as_a_change(files):
    watch = Watch.start(files)
    files[0].read_bytes()
    assert watch.quiet()


def test_a_missing_file_gives_no_watch(files, tmp_path):
    assert Watch.start([*files, tmp_path / "absent"]) is None


def test_another_process_is_never_told_quiet(files, monkeypatch):
    watch = Watch.start(files)
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as a forked worker would see the master's watch
    assert not watch.quiet()
