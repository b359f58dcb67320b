"""Write the search index into a folder: whole (:func:`write_index`), as the live one with changes
(:func:`update_index`), or unchanged (:func:`link_index`). The index is the project's own columns
(:mod:`.store`, written by :mod:`.writing`) and ``evidence-meta.json`` (dataset version, vocabulary,
spellings). Any failure removes the folder: nothing half-written is left.

An update (the contract with the incremental build)::

    update_index(live, aside, documents_to_upsert, ids_to_delete, dataset_version=...)

``documents_to_upsert`` are index documents (:func:`~.documents.documents`) or a prepared-like object
(``terms``, ``studies``, ``effects``, ``parameters``) turned into them, matched by ``id`` (a new id is
added); ``ids_to_delete`` are study ids (absent ones ignored). It writes a delta (see :mod:`.store`),
folded into a new base past :data:`DELTA_BOUND` documents or :data:`DELTA_SHARE` of the base's; either
way searches answer as after a full build. The vocabulary is not changed: that is a full build.
"""

from __future__ import annotations

import collections
import itertools
import json
import multiprocessing
import os
import shutil
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..constants import default_workers
from ..outputs import save_array
from .documents import Spellings, documents, iter_documents, vocabulary
from .schema import make_schema
from .store import DELTA, DIRNAME, HIDDEN, IndexFiles
from .writing import Writer

#: A full build of fewer documents analyses them in its own process (workers cost ~0.5 s to start).
PARALLEL_MIN = 2000
#: Documents a worker analyses at a time, and batches out per worker (analysed or not, not yet added).
BATCH, AHEAD = 500, 4

META_FILE = "evidence-meta.json"
#: A delta holds at most this many documents, or this share of the base's, before it is folded in.
DELTA_BOUND, DELTA_SHARE = 1000, 1 / 20


def write_index(aside: Path, prepared) -> None:
    """Write a complete index of ``prepared`` into the empty or new folder ``aside`` (removed on failure)."""
    with index_writing(aside, prepared) as finish:
        finish()


@contextmanager
def index_writing(aside: Path, prepared, workers: int | None = None, min_documents: int | None = None):
    """Start writing a complete index of ``prepared`` into the new folder ``aside``; yields ``finish()``,
    which writes it (removing ``aside`` on failure). Meanwhile (a build writes its database) worker processes
    analyse the documents, from ``min_documents`` (:data:`PARALLEL_MIN`) on: their batches are joined in
    document order, so the index is the one a single process writes."""
    aside = Path(aside)
    meta = {"dataset_version": prepared.dataset_version, "vocabulary": vocabulary(prepared.terms), "spellings": {}}
    workers = workers or default_workers()
    if workers < 2 or len(prepared.studies) < (min_documents or PARALLEL_MIN):
        yield lambda: write_folder(aside, _added(iter_documents(prepared), {}), meta, lambda w: w.write(aside))
        return
    analysis = _Analysis(iter_documents(prepared), workers)
    try:
        yield lambda: write_folder(aside, analysis.filled, meta, lambda w: w.write(aside))
    finally:
        analysis.close()


def update_index(live: Path, aside: Path, documents_to_upsert, ids_to_delete=(),
                 dataset_version: str | None = None) -> None:
    """Into the new folder ``aside``: the index at ``live`` with the upserts and deletions applied.

    See the module docstring for the arguments; ``aside`` is removed on failure.
    """
    live, aside = Path(live), Path(aside)
    if isinstance(documents_to_upsert, (list, tuple)):
        docs = list(documents_to_upsert)
    else:
        docs = documents(documents_to_upsert)
        dataset_version = dataset_version or getattr(documents_to_upsert, "dataset_version", None)
    meta = json.loads((live / META_FILE).read_text(encoding="utf-8"))
    meta["dataset_version"] = dataset_version or meta["dataset_version"]

    def place(writer: Writer) -> None:
        previous = IndexFiles(live)
        keep = previous.live.copy()
        ids = previous.fields["id"]
        for gone in set(ids_to_delete) | {doc["id"] for doc in docs}:
            keep[ids.postings(gone.encode("utf-8"))[0]] = False
        sources = [(part, keep[part.start:part.start + part.doc_count]) for part in previous.parts]
        base = previous.parts[0].doc_count
        if int(keep[base:].sum()) + len(docs) > max(DELTA_BOUND, base * DELTA_SHARE):
            writer.write(aside, sources)
        else:  # the base's files are linked, the delta's rewritten with the new documents
            shutil.copytree(live / DIRNAME, aside / DIRNAME, copy_function=os.link)
            writer.write(aside / DELTA, sources[1:])
            save_array(aside / DELTA / HIDDEN, np.flatnonzero(~keep[:base]).astype(np.int32))

    write_folder(aside, _added(docs, meta["spellings"]), meta, place)


def _added(docs, spellings: dict):
    """A writer and spellings (from ``spellings``) filled with ``docs`` in this process, one at a time:
    the writer keeps their tokens, the spellings their words, the texts go."""
    def filled() -> tuple[Writer, Spellings]:
        writer, spelled = Writer(make_schema()), Spellings(spellings)
        for doc in docs:
            writer.add(doc)
            spelled.add(doc)
        return writer, spelled
    return filled


def write_folder(aside: Path, filled, meta: dict, place) -> None:
    """Into ``aside`` (made, and removed on failure): the writer of ``filled()``, written by ``place``, and
    ``meta`` with the spellings ``filled()`` gives beside it."""
    aside.mkdir(parents=True, exist_ok=True)
    with _discarded_on_failure(aside):
        writer, spelled = filled()
        place(writer)
        del writer
        meta["spellings"] = spelled.out
        (aside / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def link_index(live: Path, aside: Path) -> None:
    """Into the new folder ``aside``: the index at ``live`` unchanged (hard links; every file is read-only)."""
    with _discarded_on_failure(aside):
        shutil.copytree(live, aside, copy_function=os.link)


@contextmanager
def _discarded_on_failure(aside: Path):
    """Nothing half-written is left: any failure (an interrupt included) removes ``aside``."""
    try:
        yield
    except BaseException:
        discard(aside)
        raise


def discard(path: Path) -> None:
    """Remove an index directory that is not (or no longer) live."""
    shutil.rmtree(path, ignore_errors=True)


class _Analysis:
    """Documents analysed in worker processes while this process does other work: a thread hands them
    out (made here, a batch at a time, ``AHEAD`` batches per worker out at most) and adds each analysed
    batch, in document order, to one writer. Each worker keeps one writer and spellings for all its
    batches, so it analyses each word once. Workers are spawned: a forked one copies the heap it reads."""

    def __init__(self, docs, workers: int):
        self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self.writer, self.spelled = Writer(make_schema()), Spellings()
        self.out: collections.deque = collections.deque()  # batches handed out, oldest first
        self.limit = AHEAD * workers
        self.error: BaseException | None = None
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.feed, args=(iter(docs),), daemon=True)
        self.thread.start()

    def feed(self, docs) -> None:
        try:
            while batch := list(itertools.islice(docs, BATCH)):
                while len(self.out) >= self.limit:
                    self.add_oldest()
                if self.stopped.is_set():
                    return
                self.out.append(self.executor.submit(_analyse, batch))
                while self.out and self.out[0].done():
                    self.add_oldest()
        except BaseException as exc:  # raised again by filled(), in the build's thread
            self.error = exc

    def add_oldest(self) -> None:
        worker, batch, changes = self.out.popleft().result()
        self.writer.absorb(batch, worker)
        for key, word in changes:
            self.spelled.offer(key, word)

    def filled(self) -> tuple[Writer, Spellings]:
        """Wait for every batch; the writer and spellings with all of them."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        while self.out:
            self.add_oldest()
        return self.writer, self.spelled

    def close(self) -> None:
        self.stopped.set()
        self.executor.shutdown(cancel_futures=True)
        self.thread.join()


_WORKER: tuple[Writer, Spellings] | None = None  # a worker process's writer and spellings


def _analyse(docs: list[dict]) -> tuple[int, dict, list]:
    global _WORKER
    if _WORKER is None:
        _WORKER = Writer(make_schema()), Spellings()
    writer, spelled = _WORKER
    for doc in docs:
        writer.add(doc)
        spelled.add(doc)
    return os.getpid(), writer.drain(), spelled.drain()
