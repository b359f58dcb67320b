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

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..outputs import save_array
from .documents import documents, iter_documents, spellings, vocabulary
from .schema import make_schema
from .store import DELTA, DIRNAME, HIDDEN, IndexFiles
from .writing import Writer

META_FILE = "evidence-meta.json"
#: A delta holds at most this many documents, or this share of the base's, before it is folded in.
DELTA_BOUND, DELTA_SHARE = 1000, 1 / 20


def write_index(aside: Path, prepared) -> None:
    """Write a complete index of ``prepared`` into the empty or new folder ``aside`` (removed on failure)."""
    meta = {"dataset_version": prepared.dataset_version, "vocabulary": vocabulary(prepared.terms), "spellings": {}}
    _write(Path(aside), iter_documents(prepared), meta, lambda writer: writer.write(aside))


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

    _write(aside, docs, meta, place)


def _write(aside: Path, docs, meta: dict, place) -> None:
    """Into ``aside`` (made, and removed on failure): ``docs`` added to a writer that ``place`` writes,
    and ``meta`` with their spellings added to its own."""
    aside.mkdir(parents=True, exist_ok=True)
    with _discarded_on_failure(aside):
        writer = Writer(make_schema())
        # one document at a time: the writer keeps its tokens, the spellings their words, the texts go
        meta["spellings"] = spellings((writer.add(doc) or doc for doc in docs), meta["spellings"])
        place(writer)
        del writer
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

