"""Write the search index into a folder, whole or as the live one with changes.

The build writes a complete index into the folder of the version it publishes
(:func:`write_index`, before the database is written; see :mod:`evidence.versions`);
an incremental build writes the live index with its changes (:func:`update_index`)
or, when nothing changed, links the live one's files (:func:`link_index`). The
index is the project's own columns (:mod:`.store`: postings written straight from
the analysers, and the stored cards), the facet columns (:mod:`.columns`) and
``evidence-meta.json`` (dataset version, vocabulary, spellings), memory-mapped by
readers. Any failure removes the folder: nothing half-written is left.

**Incremental updates** (the contract with the incremental build)::

    update_index(live, aside, documents_to_upsert, ids_to_delete, dataset_version=...)

- ``documents_to_upsert``: index documents as :func:`~.documents.documents` makes
  them, or a prepared-like object (``terms``, ``studies``, ``effects``,
  ``parameters``) turned into documents; studies are matched by ``id`` (a study
  whose card changed for another reason — a parameter's strength — is upserted
  the same way); a new id is added;
- ``ids_to_delete``: study ids to remove (absent ids are ignored);
- ``dataset_version``: the new version (metadata, reported by searches and ETags).

The update rewrites the columns: the live index's documents but the deleted and
replaced ones (renumbered in order), then the upserted ones (:meth:`.store.Writer.write`
with ``previous``). The statistics BM25F reads are then the new set's, so searches
answer as after a full build of the same studies. The vocabulary is not changed:
a vocabulary change is a full build.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from .columns import Columns
from .documents import documents, merge_spellings, spellings, vocabulary
from .schema import make_schema
from .store import IndexFiles, Writer

META_FILE = "evidence-meta.json"


def write_index(aside: Path, prepared) -> None:
    """Write a complete index of ``prepared`` into the empty or new folder ``aside`` (removed on failure)."""
    Path(aside).mkdir(parents=True, exist_ok=True)
    try:
        docs = documents(prepared)
        write_columns(aside, docs)
        meta = {"dataset_version": prepared.dataset_version, "vocabulary": vocabulary(prepared.terms),
                "spellings": spellings(docs)}
        (Path(aside) / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        discard(aside)
        raise


def write_columns(folder: Path, docs: list[dict], previous: IndexFiles | None = None,
                  keep: np.ndarray | None = None, columns: Columns | None = None) -> None:
    """The postings and facet columns of ``docs`` (after ``previous``'s documents ``keep``, whose facet
    columns are ``columns`` when given) into ``folder``."""
    writer = Writer(make_schema())
    for doc in docs:
        writer.add(doc)
    writer.write(Path(folder), previous, keep)
    if previous is not None and columns is not None:
        columns.updated(keep, [doc["card"] for doc in docs]).save(folder)
    else:
        written = IndexFiles(folder)
        Columns.from_cards(written.doc_count, written.cards()).save(folder)


def update_index(live: Path, aside: Path, documents_to_upsert, ids_to_delete=(),
                 dataset_version: str | None = None) -> None:
    """Into the new folder ``aside``: the index at ``live`` with the upserts and deletions applied.

    See the module docstring for the arguments; ``aside`` is removed on failure.
    """
    live = Path(live)
    if isinstance(documents_to_upsert, (list, tuple)):
        docs = list(documents_to_upsert)
    else:
        docs = documents(documents_to_upsert)
        dataset_version = dataset_version or getattr(documents_to_upsert, "dataset_version", None)
    meta = json.loads((live / META_FILE).read_text(encoding="utf-8"))
    version = dataset_version or meta["dataset_version"]
    aside = Path(aside)
    aside.mkdir(parents=True, exist_ok=True)
    try:
        previous = IndexFiles(live)
        gone = set(ids_to_delete) | {doc["id"] for doc in docs}
        old = Columns.load(live)
        old_ids = old.ids if old is not None else [card["id"] for _, card in previous.cards()]
        keep = np.fromiter((str(i) not in gone for i in old_ids), dtype=bool, count=previous.doc_count)
        write_columns(aside, docs, previous, keep, old)
        words = merge_spellings(meta.get("spellings", {}), spellings(docs))
        meta.update({"dataset_version": version, "spellings": words})
        (aside / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        discard(aside)
        raise


def _close_files(writer) -> None:
    """Close every file a failed segment writer still holds (each on its own: one failing does not stop the rest).

    The files hang two or three attributes deep in Whoosh's per-document and
    field writers (the terms file in the field writer's hash writer), so look there.
    """
    from whoosh.filedb.structfile import StructFile

    seen: set[int] = set()

    def visit(obj, depth: int) -> None:
        if obj is None or id(obj) in seen or depth > 3:
            return
        seen.add(id(obj))
        if isinstance(obj, StructFile) or hasattr(obj, "fileno"):
            try:
                obj.close()
            except Exception:  # noqa: BLE001 - closing after a failure: the first error is the one to report
                pass
            return
        if type(obj).__module__.startswith(("whoosh", "evidence")) and hasattr(obj, "__dict__"):
            for value in list(vars(obj).values()):
                visit(value, depth + 1)

    visit(writer, 0)
    try:
        writer.writelock.release()
    except Exception:  # noqa: BLE001
        pass


def link_index(live: Path, aside: Path) -> None:
    """Into the new folder ``aside``: the index at ``live`` unchanged (hard links; every file is read-only)."""
    try:
        shutil.copytree(live, aside, copy_function=os.link,
                        ignore=shutil.ignore_patterns("*WRITELOCK*", "*.lock"))
    except BaseException:
        discard(aside)
        raise


def discard(path: Path) -> None:
    """Remove an index directory that is not (or no longer) live."""
    shutil.rmtree(path, ignore_errors=True)

