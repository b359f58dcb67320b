"""Make a build's new folder durable and describe it for its manifest, doing only the work that is new.

An incremental build's folder is mostly the published version's index files, hard-linked
(:func:`evidence.search.indexer.update_index`), beside a new database and a few new index files.
The hard-linked files are already described by the published version's manifest and were made
durable when it was published; what their new names need is their directories' fsync. So:

- :func:`known_files` reads the published version's files as its manifest describes them, by inode;
- :func:`describe` hashes only the files that are not one of those, unchanged since (same inode,
  size and modification time: the rule :func:`evidence.versions.verify_content` trusts);
- :func:`make_durable` fsyncs the new files and every directory (on ext4 each fsync of an inode whose
  link count changed costs a journal commit: ~200 of them were ~0.4 s of a 20k rebuild), several at once.
- :class:`BackgroundCopy` copies the published database into the new folder and flushes it to disk
  in a thread (``sendfile`` and ``fdatasync`` release the GIL) while the build validates and re-pools.
"""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .versions import MANIFEST, file_hash, read_manifest

#: (device, inode) -> (size, mtime_ns, sha256) of a published file
Known = dict[tuple[int, int], tuple[int, int, str]]


def known_files(live) -> Known:
    """The published version ``live``'s files that its manifest describes (empty for an older layout)."""
    if live is None or live.folder is None:
        return {}
    content = read_manifest(live.folder).get("content", {})
    out: Known = {}
    for rel, described in content.items():
        try:
            st = os.stat(os.path.join(live.folder, rel))
        except OSError:
            continue  # damaged or gone: the new folder's copy, if any, is hashed
        if st.st_mtime_ns == described.get("mtime_ns") and st.st_size == live.files.get(rel):
            out[(st.st_dev, st.st_ino)] = (st.st_size, st.st_mtime_ns, described["sha256"])
    return out


def _walk(folder: Path):
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder)
            if rel != MANIFEST:
                yield rel, path, os.stat(path)


def _published(st, known: Known) -> str | None:
    """The sha256 of a file that is one of the published version's, unchanged; else None."""
    found = known.get((st.st_dev, st.st_ino))
    if found is not None and found[:2] == (st.st_size, st.st_mtime_ns):
        return found[2]
    return None


def describe(folder: Path, known: Known) -> dict[str, dict]:
    """Every regular file under ``folder``: sha256 and modification time, as the manifest records them.

    A published file's hash is taken from its manifest instead of read again (tests/foundation/
    test_sealing.py checks the result against hashing every file).
    """
    out = {}
    for rel, path, st in _walk(folder):
        digest = _published(st, known) or file_hash(path)
        out[rel] = {"sha256": digest, "mtime_ns": st.st_mtime_ns}
    return dict(sorted(out.items()))


def fsync(path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: fsyncs in flight at once: ext4 commits the fsyncs that wait together in one journal commit, so the ~150
#: small files of an index delta cost a few commits, not one each (140 files of 2 kB in /tmp on this machine's
#: ext4: 0.49-0.59 s one after another, 0.10-0.24 s eight at a time; CPU ~0.02 s either way)
FSYNC_THREADS = 8


def make_durable(folder: Path, extra: list[str], known: Known) -> None:
    """fsync every file under ``folder`` that is not a published one (and ``extra``), then every directory.

    Every fsync has returned (or its error is raised) before this returns: publishing comes after.
    """
    files = [path for _rel, path, st in _walk(folder) if _published(st, known) is None]
    files += [folder / rel for rel in extra]
    with ThreadPoolExecutor(FSYNC_THREADS) as pool:
        for _ in pool.map(fsync, files):  # consumed, so that an error is raised here
            pass
        directories = [dirpath for dirpath, _dirs, _names in os.walk(folder)]
        for _ in pool.map(lambda path: fsync(path, directory=True), directories):
            pass


class BackgroundCopy:
    """Copy ``source`` to ``target`` and flush it to disk in a thread.

    :meth:`copied` returns once the bytes are there (the build may open the copy); :meth:`wait` once they
    are on disk too. Both re-raise the thread's error (a full disk: the build's usual one-line message).
    """

    def __init__(self, source: Path, target: Path):
        self.source, self.target = source, target
        self._error: BaseException | None = None
        self._copied = threading.Event()
        self._thread = threading.Thread(target=self._run, name="copy-database", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            shutil.copyfile(self.source, self.target)
        except BaseException as exc:  # noqa: BLE001 - handed to the build's thread by copied() and wait()
            self._error = exc
            return
        finally:
            self._copied.set()
        try:
            # flushed now, while the build computes, rather than in the commit's or the publication's fsync
            fd = os.open(self.target, os.O_RDONLY)
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)
        except BaseException as exc:  # noqa: BLE001 - as above
            self._error = exc

    def copied(self) -> None:
        self._copied.wait()
        self._raise()

    def wait(self) -> None:
        self.join()
        self._raise()

    def join(self) -> None:
        """Wait for the thread, whatever it met (a failed build does, before removing the folder)."""
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
