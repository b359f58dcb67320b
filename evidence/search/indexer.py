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

Facet columns (:mod:`.columns`) and postings columns (:mod:`.postings`) are
written into the versioned directory with the index, so readers memory-map them.

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

It makes a new versioned directory from the live one (hard links to the
unchanged segment files, copies of the table of contents and metadata),
applies the upserts and deletions in one Whoosh commit (a new small segment,
no merge, so existing document numbers stay), patches the facet columns (the
new documents' cards only: milliseconds), adds the new documents' words to the
spelling list, and returns the directory for :func:`swap`. The vocabulary is
not changed: a vocabulary change needs a full build (:func:`build_aside`).
The postings columns are hard-linked: they hold the old segments, and the
engine reads the new segment's postings from Whoosh. Every ``MAX_SEGMENTS``
updates the segments are merged, the facet columns are rebuilt from the stored
cards (about a second at 20k) and the postings columns are written again
(about 10 s at 20k). Nothing else is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from whoosh import index

from . import postings
from .bulk import BulkWriter
from .columns import DIRNAME as COLUMNS_DIR
from .columns import Columns
from .documents import documents, merge_spellings, spellings, vocabulary
from .schema import make_schema

META_FILE = "evidence-meta.json"
#: An incremental update merges the segments when there would be more than this many.
MAX_SEGMENTS = 12


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
        ix = index.create_in(str(aside), make_schema())
        docs = documents(prepared)
        writer = BulkWriter(ix)  # Whoosh's segment, without its posting pool (see .bulk)
        try:
            for doc in docs:
                writer.add_document(**doc)
            writer.commit()
        except BaseException:
            _close_files(writer)  # a failed commit (a full disk) leaves the segment's files open
            raise
        with ix.reader() as reader:
            Columns.from_reader(reader).save(aside)
        postings.write(aside, ix)
        ix.close()
        meta = {"dataset_version": prepared.dataset_version, "vocabulary": vocabulary(prepared.terms),
                "spellings": spellings(docs)}
        (Path(aside) / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        discard(aside)
        raise


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
        for entry in os.scandir(live):
            if entry.name in (COLUMNS_DIR, META_FILE, postings.DIRNAME) or "WRITELOCK" in entry.name \
                    or entry.name.endswith(".lock"):
                continue
            if entry.name.endswith(".toc"):
                shutil.copy2(entry.path, aside / entry.name)  # rewritten by the commit: a copy
            else:
                os.link(entry.path, aside / entry.name)  # segment files are never written again
        ix = index.open_dir(str(aside))
        old = Columns.load(live, mmap=False)
        with ix.reader() as reader:
            before = [(s.segment_id(), s.doc_count_all()) for s in ix._segments()]
            n_before = reader.doc_count_all()
        merge = len(before) + 1 > MAX_SEGMENTS
        writer = ix.writer()
        try:
            for sid in ids_to_delete:
                writer.delete_by_term("id", sid)
            for doc in docs:
                writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(merge=merge)
        with ix.reader() as reader:
            after = [(s.segment_id(), s.doc_count_all()) for s in ix._segments()]
            n = reader.doc_count_all()
            kept_layout = old is not None and old.n == n_before and after[:len(before)] == before
            if kept_layout:
                live_mask = np.zeros(n, dtype=bool)
                live_mask[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
                new_cards = [(d, reader.stored_fields(d)["card"]) for d in range(n_before, n)]
                columns = old.patched(n, live_mask, new_cards)
            else:  # merged (or an index without columns): from every stored card
                columns = Columns.from_reader(reader)
        columns.save(aside)
        if kept_layout:  # the old segments' postings columns still hold; the new segment is read from Whoosh
            postings.link(live, aside)
        else:
            postings.write(aside, ix)
        ix.close()
        words = merge_spellings(meta.get("spellings", {}), spellings(docs))
        meta.update({"dataset_version": version, "spellings": words})
        (Path(aside) / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
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
