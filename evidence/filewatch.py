"""Know, in one system call, whether any of a set of files changed since we looked (Linux inotify).

The read side must refuse a published file that was damaged while the server runs before it touches
the file's mapped pages (a page past a truncated file's end kills the worker with SIGBUS). Comparing
every file's size on every request costs ~2 µs a file, and a published build has ~100-200 files.
A :class:`Watch` asks the kernel to note any write, truncation, metadata or link change of those
files; :meth:`Watch.quiet` is then one non-blocking read of the queue. Whoever holds a watch
checks the files in full when it is not quiet (or none could be made), then watches anew.

Where inotify is missing (not Linux) or its limits are reached, :meth:`Watch.start` returns None
and the caller checks every file every time, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

# <sys/inotify.h>: what counts as a change of a watched file (write or truncate, attributes or link
# count, removal, rename), and the queue's flags (never block a request; not inherited by children).
_CHANGES = 0x002 | 0x004 | 0x400 | 0x800  # IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF
_NONBLOCK_CLOEXEC = os.O_NONBLOCK | os.O_CLOEXEC  # IN_NONBLOCK and IN_CLOEXEC are these flags


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        return libc if hasattr(libc, "inotify_init1") and hasattr(libc, "inotify_add_watch") else None
    except OSError:
        return None


_LIBC = _libc()


class Watch:
    """The kernel's change queue for some files, owned by the process that made it."""

    def __init__(self, fd: int):
        self.fd = fd
        self.pid = os.getpid()  # a forked child must make its own: reading a shared queue steals its events
        self.changed = False  # once any news is read, for every thread: the queue tells it only once
        self.lock = threading.Lock()

    @classmethod
    def start(cls, paths) -> Watch | None:
        """A watch on every path (made before the caller's full check, so no change falls between), or None."""
        if _LIBC is None:
            return None
        fd = _LIBC.inotify_init1(_NONBLOCK_CLOEXEC)
        if fd < 0:
            return None
        watch = cls(fd)
        for path in paths:
            if _LIBC.inotify_add_watch(fd, os.fsencode(path), _CHANGES) < 0:  # missing file, or the watch limit
                return None  # (the descriptor closes with the dropped watch)
        return watch

    def quiet(self) -> bool:
        """True when none of the files changed since the watch began (and this process owns it)."""
        with self.lock:
            if self.changed or self.pid != os.getpid():
                return False
            try:
                os.read(self.fd, 4096)
            except BlockingIOError:
                return True
            except OSError:
                pass
            self.changed = True
            return False

    def __del__(self):
        # closed when the last holder lets go, never under a thread still reading it (a closed number can
        # be reused at once by a socket, and reading that would steal a request's bytes)
        try:
            os.close(self.fd)  # in a forked child, only the child's copy of the descriptor
        except OSError:
            pass
