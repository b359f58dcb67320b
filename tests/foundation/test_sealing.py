"""What a build's publication takes on trust from the published version, and the database copied aside.

An incremental build hashes only the files that are new in its folder (the hard-linked index files keep
the hashes the published manifest gives them) and copies the database in a thread: the manifest must say
exactly what hashing every file says, a published file changed since is hashed again, and a failed copy
fails the build with its own error.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from evidence import sealing, versions
from evidence.build import build


def hash_every_file(folder) -> dict[str, dict]:
    """The manifest's content as hashing every file under ``folder`` gives it (the oracle: nothing on trust)."""
    out = {}
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder)
            if rel != versions.MANIFEST:
                out[rel] = {"sha256": versions.file_hash(path), "mtime_ns": os.stat(path).st_mtime_ns}
    return dict(sorted(out.items()))


def _touch_a_study(data_dir) -> None:
    path = data_dir / "studies" / "aronson-1948.yaml"
    path.write_text(path.read_text().replace("quality_notes: ", "quality_notes: (edited) ", 1))


@pytest.fixture
def rebuilt(settings, data_dir):
    if settings.sqlite_path is None:
        pytest.skip("the copied database is SQLite's")
    build(settings)
    first = versions.resolve(settings)
    _touch_a_study(data_dir)
    build(settings, incremental=True)
    return first, versions.resolve(settings)


def test_the_manifest_of_an_incremental_build_is_what_hashing_every_file_gives(rebuilt):
    first, second = rebuilt
    assert second.folder != first.folder
    linked = [rel for rel in second.files if rel in first.files
              and os.stat(second.folder / rel).st_ino == os.stat(first.folder / rel).st_ino]
    assert linked, "the update hard-links the base's index files (else nothing here is taken on trust)"
    manifest = json.loads((second.folder / versions.MANIFEST).read_text())
    assert manifest["content"] == hash_every_file(second.folder)
    versions.verify_content(second)


def test_a_published_file_changed_since_is_hashed_again(rebuilt, tmp_path):
    first, second = rebuilt
    rel = max((rel for rel in second.files if rel.startswith("index/")),
              key=lambda r: os.stat(second.folder / r).st_size)
    aside = tmp_path / "aside"
    shutil.copytree(second.folder, aside, copy_function=os.link)  # as the next build's folder would share it
    (aside / versions.MANIFEST).unlink()
    known = sealing.known_files(second)  # as a build reads them before it writes its folder
    with open(second.folder / rel, "r+b") as fh:  # damaged in place: the shared inode's time moves
        fh.write(b"\0" * 16)
    st = os.stat(aside / rel)
    assert (st.st_dev, st.st_ino) not in sealing.known_files(second)
    described = sealing.describe(aside, known)
    assert described[rel]["sha256"] == versions.file_hash(aside / rel)
    assert described[rel]["sha256"] != json.loads((second.folder / versions.MANIFEST).read_text())["content"][rel][
        "sha256"]


def test_a_failed_copy_raises_in_the_build_thread(tmp_path):
    copy = sealing.BackgroundCopy(tmp_path / "missing.db", tmp_path / "copy.db")
    with pytest.raises(FileNotFoundError):
        copy.copied()
    with pytest.raises(FileNotFoundError):
        copy.wait()


def test_a_copy_is_whole_once_copied(tmp_path):
    source = tmp_path / "source.db"
    source.write_bytes(os.urandom(3 << 20))
    copy = sealing.BackgroundCopy(source, tmp_path / "copy.db")
    copy.copied()
    assert (tmp_path / "copy.db").read_bytes() == source.read_bytes()
    copy.wait()
