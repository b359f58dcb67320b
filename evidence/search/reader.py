"""One read-only index per process, reopened when a rebuild swaps the link.

An :class:`OpenIndex` is one index version (one versioned directory). It keeps
what a search needs for as long as the version is live: a Whoosh searcher per
thread (opened once, not per request), the facet columns (memory-mapped, see
:mod:`.columns`) and small LRU caches (rankings per parsed query, postings,
spelling corrections). :class:`IndexHolder` reopens when the link changes, so
all of these are keyed on the index version by construction.

**Zero-copy index files** (compatibility shim for whoosh-reloaded 2.7): Whoosh
reads a memory-mapped index through ``structfile.BufferFile``, whose
constructor wraps each sub-file in ``BytesIO(buf)`` — a private copy of the
whole term dictionary every time a searcher opens (~100 ms and ~375 MB per
open at 20k studies). :func:`install_zero_copy` replaces that constructor with
one that reads through :class:`MemoryFile`, a read-only seekable file over the
``memoryview``: same bytes, no copy, so the index stays in the page cache,
shared by every worker. It is applied when the reader first opens an index;
it changes reading only (writers use real files), and it is idempotent.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.filedb import structfile
from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError

from .columns import Columns
from .engine import Engine, Shared
from .indexer import META_FILE
from .postings import PostingsColumns


class IndexMissing(Exception):
    """There is no index at the configured place yet: run ``evidence build``."""


class MemoryFile:
    """A read-only, seekable file over a buffer (a memoryview of a mapped file), without copying it."""

    __slots__ = ("_mv", "_pos", "_len")

    def __init__(self, buf):
        self._mv = memoryview(buf)
        self._pos = 0
        self._len = len(self._mv)

    def read(self, n=-1):
        end = self._len if n is None or n < 0 else min(self._len, self._pos + n)
        out = self._mv[self._pos:end].tobytes()
        self._pos = end
        return out

    def readline(self, limit=-1):
        end = self._len if limit is None or limit < 0 else min(self._len, self._pos + limit)
        stop, i = end, self._pos
        while i < end:
            chunk = self._mv[i:min(end, i + 256)].tobytes()
            j = chunk.find(b"\n")
            if j >= 0:
                stop = i + j + 1
                break
            i += 256
        out = self._mv[self._pos:stop].tobytes()
        self._pos = stop
        return out

    def seek(self, pos, whence=0):
        self._pos = pos if whence == 0 else self._pos + pos if whence == 1 else self._len + pos
        return self._pos

    def tell(self):
        return self._pos

    def flush(self):
        pass

    def close(self):
        self._mv = memoryview(b"")
        self._len = self._pos = 0


def _buffer_file_init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self.file = MemoryFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def install_zero_copy() -> None:
    """Make Whoosh's ``BufferFile`` read its buffer in place (see the module docstring)."""
    if structfile.BufferFile.__init__ is not _buffer_file_init:
        structfile.BufferFile.__init__ = _buffer_file_init


class LRU:
    """A least-recently-used cache of at most ``size`` entries and ``max_weight`` (bytes, as weighed by the caller)."""

    def __init__(self, size: int, max_weight: int | None = None):
        self.size = size
        self.max_weight = max_weight
        self.weight = 0
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key][0]
        return default

    def put(self, key, value, weight: int = 0) -> None:
        with self._lock:
            if self.max_weight is not None and weight > self.max_weight:
                return
            if key in self._data:
                self.weight -= self._data[key][1]
            self._data[key] = (value, weight)
            self._data.move_to_end(key)
            self.weight += weight
            while len(self._data) > self.size or (self.max_weight is not None and self.weight > self.max_weight):
                self.weight -= self._data.popitem(last=False)[1][1]


@dataclass(eq=False)
class OpenIndex:
    path: str  # the resolved versioned directory
    ix: object  # whoosh FileIndex
    meta: dict  # dataset_version and the facet vocabulary
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _columns: Columns | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shared: object = field(default=None, repr=False)
    ranked: LRU = field(default_factory=lambda: LRU(256, 16 << 20), repr=False)  # parsed query -> ranking
    spelling: LRU = field(default_factory=lambda: LRU(1024), repr=False)  # word -> correction or None
    #: term -> its postings, for the vectorised engine (see :mod:`.engine`), shared by the threads
    postings: LRU = field(default_factory=lambda: LRU(8192, 32 << 20), repr=False)

    def searcher(self):
        """This thread's searcher of this version, opened once and kept open."""
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = self._local.searcher = self.ix.searcher()
        return s

    def engine(self):
        """This thread's :class:`~evidence.search.engine.Engine` over this version (on its searcher)."""
        e = getattr(self._local, "engine", None)
        if e is None:
            with self._lock:
                if self._shared is None:
                    self._shared = Shared(self.postings, PostingsColumns.load(self.path))
            e = self._local.engine = Engine(self.searcher(), self._shared)
        return e

    @property
    def columns(self) -> Columns:
        """The facet columns: memory-mapped from the index, or built from the stored cards (older indexes)."""
        if self._columns is None:
            with self._lock:
                if self._columns is None:
                    self._columns = Columns.load(self.path) or Columns.from_reader(self.searcher().reader())
        return self._columns

    @property
    def version(self) -> str:
        return self.path


class IndexHolder:
    """Holds the open index for ``index_dir``; :meth:`current` reopens after a swap.

    ``resolve``, when given, names the index directory to use now (the app's:
    the request's published version, see :mod:`evidence.readside`).
    """

    def __init__(self, index_dir, resolve=None):
        self.index_dir = Path(index_dir)
        self.resolve = resolve
        self._lock = threading.Lock()
        self._open: OpenIndex | None = None

    def current(self) -> OpenIndex:
        real = self.resolve() if self.resolve is not None else os.path.realpath(self.index_dir)
        opened = self._open
        if opened is not None and opened.path == real:
            return opened
        with self._lock:
            opened = self._open
            if opened is None or opened.path != real:
                opened = self._open = _open(real)
        return opened


def _open(real: str) -> OpenIndex:
    install_zero_copy()
    try:
        ix = FileStorage(real, readonly=True).open_index()
        with open(os.path.join(real, META_FILE), encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, EmptyIndexError, ValueError) as exc:
        raise IndexMissing(f"no search index at {real}: run `evidence build`") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged table of contents fails in many ways; all mean the same
        raise IndexMissing(f"the search index at {real} cannot be opened ({exc.__class__.__name__}): "
                           "run `evidence build`") from exc
    return OpenIndex(real, ix, meta)


def holder_for(index) -> IndexHolder:
    """An :class:`IndexHolder` for a holder, an :class:`OpenIndex` or a directory."""
    if isinstance(index, IndexHolder):
        return index
    if isinstance(index, OpenIndex):
        fixed = IndexHolder(index.path)
        fixed._open = index
        return fixed
    return IndexHolder(index)
