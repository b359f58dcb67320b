"""One read-only index per process, reopened when a rebuild swaps the link.

An :class:`OpenIndex` is one index version: its columns and cards (:mod:`.store`: memory-mapped, or read
with ``pread``; shared by a server's workers through the page cache), the engine over them and small caches
(rankings, spelling corrections), all keyed on the version by construction since :class:`IndexHolder` opens
a new one when the link changes.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..lru import LRU
from .engine import Engine
from .indexer import META_FILE
from .schema import make_schema
from .store import IndexFiles


class IndexMissing(Exception):
    """There is no index at the configured place yet: run ``evidence build``."""


@dataclass(eq=False)
class OpenIndex:
    path: str  # the resolved versioned directory
    files: IndexFiles  # postings columns, cards and sort keys
    meta: dict  # dataset_version and the facet vocabulary
    schema: object = field(default_factory=make_schema, repr=False)  # what the query parser reads
    ranked: LRU = field(default_factory=lambda: LRU(256, 16 << 20), repr=False)  # parsed query -> ranking
    spelling: LRU = field(default_factory=lambda: LRU(1024), repr=False)  # word -> correction or None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    cache: dict = field(default_factory=dict, repr=False)  # built once per version: engine, speller

    def once(self, key: str, make):
        """``make()``, computed once for this version (under the lock) and kept."""
        found = self.cache.get(key)
        if found is None:
            with self.lock:
                found = self.cache.get(key)
                if found is None:
                    found = self.cache[key] = make()
        return found

    def engine(self) -> Engine:
        return self.once("engine", lambda: Engine(self.files, self.schema))

    @property
    def doc_count(self) -> int:
        return self.files.doc_count


class IndexHolder:
    """Holds the open index for ``index_dir``; :meth:`current` reopens after a swap.

    ``resolve``, when given, names the index directory to use now (the app's:
    the request's published version, see :mod:`evidence.readside`).
    """

    def __init__(self, index_dir, resolve=None, opened: OpenIndex | None = None):
        self.index_dir = Path(index_dir)
        self.resolve = resolve
        self.lock = threading.Lock()
        self.opened = opened

    def current(self) -> OpenIndex:
        real = self.resolve() if self.resolve is not None else os.path.realpath(self.index_dir)
        opened = self.opened
        if opened is not None and opened.path == real:
            return opened
        with self.lock:
            opened = self.opened
            if opened is None or opened.path != real:
                opened = self.opened = open_index(real)
        return opened


def open_index(real: str) -> OpenIndex:
    """The index version in the directory ``real``; :class:`IndexMissing` when there is none or it is damaged."""
    try:
        with open(os.path.join(real, META_FILE), encoding="utf-8") as fh:
            meta = json.load(fh)
        files = IndexFiles(real)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexMissing(f"no search index at {real}: run `evidence build`") from exc
    return OpenIndex(real, files, meta)


def holder_for(index) -> IndexHolder:
    """An :class:`IndexHolder` for a holder, an :class:`OpenIndex` or a directory."""
    if isinstance(index, IndexHolder):
        return index
    if isinstance(index, OpenIndex):
        return IndexHolder(index.path, opened=index)
    return IndexHolder(index)
