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
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from whoosh import index

from .documents import documents, spellings, vocabulary
from .schema import make_schema

META_FILE = "evidence-meta.json"


def _prefix(index_dir: Path) -> str:
    return f".{index_dir.name}.v-"


def build_aside(settings, prepared) -> Path:
    """Write a complete index of ``prepared`` into a fresh directory beside ``settings.index_dir``."""
    index_dir = Path(settings.index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    aside = index_dir.parent / f"{_prefix(index_dir)}{prepared.dataset_version}-{time.time_ns()}-{os.getpid()}"
    aside.mkdir()
    try:
        ix = index.create_in(str(aside), make_schema())
        docs = documents(prepared)
        writer = ix.writer()
        try:
            for doc in docs:
                writer.add_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        meta = {"dataset_version": prepared.dataset_version, "vocabulary": vocabulary(prepared.terms),
                "spellings": spellings(docs)}
        (aside / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        discard(aside)
        raise
    return aside


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
