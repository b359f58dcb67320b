"""Build the search index beside the live one and swap it in atomically.

``settings.index_dir`` (``<instance>/index`` or ``EVIDENCE_INDEX_DIR``) is a
symbolic link to a versioned directory beside it,
``.<name>.v-<dataset version>-<time>-<pid>``. A build writes a complete index
into a fresh versioned directory (:func:`build_aside`), and after the database
is written, :func:`swap` points the link at it with one ``os.replace`` of a new
link: a reader sees the old index or the new one, never a half-built one.
The old directory is removed after the swap (readers that already hold its
files keep reading them; the app reopens when the link changes).

If ``index_dir`` is a real directory (an index made by hand or by an older
version), the first swap moves it aside first: only that once is there a
moment without an index, and readers then wait for the link.

The index is the project's own columns (:mod:`.store`: postings written straight
from the analysers, and the stored cards) plus the facet columns (:mod:`.columns`),
all in the versioned directory, memory-mapped by readers.

**Incremental updates** (the contract with the incremental build)::

    aside = update_aside(settings, documents_to_upsert, ids_to_delete, dataset_version=...)
    ...write the database...
    swap(settings, aside)

- ``documents_to_upsert``: a list of index documents as
  :func:`~.documents.documents` makes them, or a prepared-like object (with
  ``terms``, ``studies``, ``effects`` and ``parameters`` — the changed studies,
  their effects, and every parameter that names them, for their strength),
  which is turned into documents with :func:`~.documents.documents`. A study
  whose card changed for another reason (a parameter's strength) is upserted
  the same way. Studies are matched by ``id``; a new id is added.
- ``ids_to_delete``: study ids to remove (absent ids are ignored).
- ``dataset_version``: the new version (for the directory name and the
  metadata, which search results and the pages' ETags report); by default the
  prepared-like object's, else the current one's — so pass it with a list.

It writes a new versioned directory: the live index's columns without the deleted
and replaced studies (renumbered in order), then the upserted documents, sorted into
one set of postings columns (:meth:`.store.Writer.write` with ``previous``), the facet
columns from the cards, and the new documents' words added to the spelling list. The
statistics BM25F reads (document count, document frequencies, field lengths) are then
those of the new set of studies, so a search answers as after a full build of the same
studies. The vocabulary is not changed: a vocabulary change needs a full build
(:func:`build_aside`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from .columns import Columns
from .documents import documents, merge_spellings, spellings, vocabulary
from .schema import make_schema
from .store import IndexFiles, Writer

META_FILE = "evidence-meta.json"


def _prefix(index_dir: Path) -> str:
    return f".{index_dir.name}.v-"


def _new_aside(settings, version: str) -> Path:
    index_dir = Path(settings.index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    aside = index_dir.parent / f"{_prefix(index_dir)}{version}-{time.time_ns()}-{os.getpid()}"
    aside.mkdir()
    return aside


def build_aside(settings, prepared) -> Path:
    """Write a complete index of ``prepared`` into a fresh directory beside ``settings.index_dir``."""
    aside = _new_aside(settings, prepared.dataset_version)
    write_index(aside, prepared)
    return aside


def write_index(aside: Path, prepared) -> None:
    """Write a complete index of ``prepared`` into the empty or new folder ``aside`` (removed on failure)."""
    Path(aside).mkdir(exist_ok=True)
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
                  keep: np.ndarray | None = None) -> None:
    """The postings and facet columns of ``docs`` (after ``previous``'s documents ``keep``) into ``folder``."""
    writer = Writer(make_schema())
    for doc in docs:
        writer.add(doc)
    writer.write(Path(folder), previous, keep)
    written = IndexFiles(folder)
    Columns.from_cards(written.doc_count, written.cards()).save(folder)


def update_aside(settings, documents_to_upsert, ids_to_delete=(), dataset_version: str | None = None) -> Path:
    """A new versioned directory: the live index with ``documents_to_upsert`` and ``ids_to_delete`` applied.

    See the module docstring for the contract; pass the result to :func:`swap`.
    """
    live = Path(os.path.realpath(settings.index_dir))
    if dataset_version is None and not isinstance(documents_to_upsert, (list, tuple)):
        dataset_version = getattr(documents_to_upsert, "dataset_version", None)
    if dataset_version is None:
        dataset_version = json.loads((live / META_FILE).read_text(encoding="utf-8"))["dataset_version"]
    aside = _new_aside(settings, dataset_version)
    update_index(live, aside, documents_to_upsert, ids_to_delete, dataset_version)
    return aside


def update_index(live: Path, aside: Path, documents_to_upsert, ids_to_delete=(),
                 dataset_version: str | None = None) -> None:
    """Into the new folder ``aside``: the index at ``live`` with the upserts and deletions applied.

    The arguments are :func:`update_aside`'s; ``aside`` is removed on failure.
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
    aside.mkdir(exist_ok=True)
    try:
        previous = IndexFiles(live)
        gone = set(ids_to_delete) | {doc["id"] for doc in docs}
        old = Columns.load(live)
        old_ids = old.ids if old is not None else [card["id"] for _, card in previous.cards()]
        keep = np.fromiter((str(i) not in gone for i in old_ids), dtype=bool, count=previous.doc_count)
        write_columns(aside, docs, previous, keep)
        words = merge_spellings(meta.get("spellings", {}), spellings(docs))
        meta.update({"dataset_version": version, "spellings": words})
        (aside / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        discard(aside)
        raise


def link_index(live: Path, aside: Path) -> None:
    """Into the new folder ``aside``: the index at ``live`` unchanged (hard links; every file is read-only)."""
    try:
        shutil.copytree(live, aside, copy_function=os.link,
                        ignore=shutil.ignore_patterns("*WRITELOCK*", "*.lock"))
    except BaseException:
        discard(aside)
        raise


def swap(settings, aside: Path) -> None:
    """Make ``settings.index_dir`` the index in ``aside``, atomically; remove the old one."""
    index_dir = Path(settings.index_dir)
    aside = Path(aside)
    if aside.parent.resolve() != index_dir.parent.resolve():
        raise ValueError(f"{aside} is not beside {index_dir}")
    old_target = index_dir.resolve() if index_dir.is_symlink() else None
    if index_dir.exists() and not index_dir.is_symlink():
        moved = index_dir.parent / f"{_prefix(index_dir)}replaced-{time.time_ns()}-{os.getpid()}"
        os.replace(index_dir, moved)
        old_target = moved
    link = index_dir.parent / f".{index_dir.name}.link-{os.getpid()}-{time.time_ns()}"
    os.symlink(aside.name, link)
    try:
        os.replace(link, index_dir)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    if old_target is not None and old_target != aside.resolve():
        discard(old_target)
    _remove_leftovers(index_dir, keep=aside.resolve())


def discard(path: Path) -> None:
    """Remove an index directory that is not (or no longer) live."""
    shutil.rmtree(path, ignore_errors=True)


def _remove_leftovers(index_dir: Path, keep: Path) -> None:
    """Versioned directories of builds that died before their swap (older than an hour)."""
    cutoff = time.time() - 3600
    for path in index_dir.parent.glob(f"{_prefix(index_dir)}*"):
        try:
            if path.resolve() != keep and path.stat().st_mtime < cutoff:
                discard(path)
        except OSError:
            continue
