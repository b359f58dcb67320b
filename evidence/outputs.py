"""Writing output files safely, and saying in one line why a write failed.

Every file the commands write (exports, releases, records) is written to a
temporary file in the target's folder and renamed over the target, so a
reader sees the old file or the new one, and a failure (disk full,
permission denied, read-only file system) leaves the target as it was and
no temporary behind. :func:`describe` turns such an error into one line that
names the path and says what to do; the ``evidence`` command prints it and
exits with status 1 instead of a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def _fill(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a test replaces this to simulate a full disk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class AtomicFile:
    """A binary file that becomes ``path`` only if everything was written: see :func:`atomic_output`.

    Buffered here (not by ``io.BufferedWriter``) so a failed write is raised once, from
    :meth:`write` or the end of the ``with`` block, and never again when the object is collected.
    Seekable, for zip archives (xlsx).
    """

    BUFFER = 1 << 20

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = bytearray()

    def write(self, data) -> int:
        if not self.buffer and len(data) >= self.BUFFER:  # a large piece goes straight out, not copied
            _fill(self.fd, data)
            return len(data)
        self.buffer += data
        if len(self.buffer) >= self.BUFFER:
            self.flush()
        return len(data)

    def flush(self) -> None:
        data, self.buffer = self.buffer, bytearray()
        if data:
            _fill(self.fd, data)

    def tell(self) -> int:
        self.flush()
        return os.lseek(self.fd, 0, os.SEEK_CUR)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.flush()
        return os.lseek(self.fd, offset, whence)

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def atomic_output(path, mode: int | None = None) -> Iterator[AtomicFile]:
    """Write ``path`` a piece at a time: a temporary file in the same folder, flushed to the disk and
    renamed over ``path`` when the block ends; on any error the temporary file is removed and
    ``path`` is as it was."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            out = AtomicFile(fd)
            yield out
            out.flush()
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``: a temporary file in the same folder, then one rename."""
    with atomic_output(path, mode) as out:
        out.write(data)


class _Chunks:
    """A file numpy can only write to through ``write()``: numpy then writes in chunks through Python,
    so a full disk raises ``OSError(ENOSPC)``; its own ``tofile()`` reports a short write with no errno."""

    def __init__(self, handle):
        self.write = handle.write


def save_array(path, array) -> None:
    """``numpy.save(path, array)`` whose failure on a full disk says so (see :class:`_Chunks`)."""
    with open(path, "wb") as handle:
        np.lib.format.write_array(_Chunks(handle), np.asanyarray(array), allow_pickle=False)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


ADVICE = {
    errno.ENOSPC: "the disk is full: free some space (or write elsewhere) and run the command again",
    errno.EDQUOT: "the disk quota is used up: free some space (or write elsewhere) and run the command again",
    errno.EACCES: "permission denied: write somewhere you may write, or ask for write access to that folder",
    errno.EPERM: "permission denied: write somewhere you may write, or ask for write access to that folder",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.ENOENT: "the folder does not exist: create it first, or choose another path",
    errno.ENOTDIR: "a part of the path is not a folder: choose another path",
    errno.EISDIR: "that is a folder, not a file: give a file name",
}


def describe(exc: OSError, path=None) -> str:
    """One line: the path, what went wrong, what to do, and that nothing was changed."""
    where = path or exc.filename or "the output"
    advice = ADVICE.get(exc.errno, exc.strerror or str(exc))
    return f"cannot write {where}: {advice}. Nothing was changed."
