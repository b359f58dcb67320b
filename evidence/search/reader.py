"""One read-only index per process, reopened when a rebuild swaps the link."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError

from .indexer import META_FILE


class IndexMissing(Exception):
    """There is no index at the configured place yet: run ``evidence build``."""


@dataclass(frozen=True)
class OpenIndex:
    path: str  # the resolved versioned directory
    ix: object  # whoosh FileIndex
    meta: dict  # dataset_version and the facet vocabulary


class IndexHolder:
    """Holds the open index for ``index_dir``; :meth:`current` reopens after a swap."""

    def __init__(self, index_dir):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._open: OpenIndex | None = None

    def current(self) -> OpenIndex:
        real = os.path.realpath(self.index_dir)
        opened = self._open
        if opened is not None and opened.path == real:
            return opened
        with self._lock:
            opened = self._open
            if opened is None or opened.path != real:
                opened = self._open = _open(real)
        return opened


def _open(real: str) -> OpenIndex:
    try:
        ix = FileStorage(real, readonly=True).open_index()
        with open(os.path.join(real, META_FILE), encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, EmptyIndexError, ValueError) as exc:
        raise IndexMissing(f"no search index at {real}: run `evidence build`") from exc
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
