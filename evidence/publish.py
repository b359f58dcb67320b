"""The build side of :mod:`evidence.versions`: write a new folder, check it, publish it in one rename.

:func:`staging` is what ``evidence build`` runs inside::

    with staging(settings) as stage:       # takes the build lock, clears what killed builds left
        stage.live                          # the published Version to start from (None: none usable)
        folder = stage.start()              # a new, unpublished folder
        ...write stage.database_path (SQLite) and stage.index_dir...
        stage.publish(dataset_version)      # checks both, writes the manifest, swaps the link

A build killed at any point leaves the published folder untouched: its own
folder is unpublished, and the next build removes it (under the lock, no
other build can be writing one). Nothing is ever written into a published
folder, so a SQLite journal can only exist in an unpublished one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import sealing
from .versions import INDEX, MANIFEST, Layout, ReadSideError, Version, read_manifest, resolve

LOCK_SUFFIX = ".lock"
#: Tests only: a file the build appends each step's name to as it reaches it (the fault-injection
#: test kills the build just after a step). Unset: nothing is written.
TRACE_VARIABLE = "EVIDENCE_BUILD_TRACE"


def trace(step: str) -> None:
    """Note that the build reached ``step`` (see :data:`TRACE_VARIABLE`)."""
    path = os.environ.get(TRACE_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(step + "\n")


class PublishError(Exception):
    """The new build failed its checks; nothing was published."""


def _relink(link: Path, target: str) -> None:
    """Make ``link`` a symbolic link to ``target`` in one rename (a plain folder or file there is replaced)."""
    try:
        if os.readlink(link) == target:
            return
    except OSError:
        pass
    moved = None
    if link.is_dir() and not link.is_symlink():  # an index of the older layout: move it aside first
        moved = link.with_name(f".{link.name}.replaced-{time.time_ns()}-{os.getpid()}")
        os.replace(link, moved)
    tmp = link.with_name(f".{link.name}.link-{os.getpid()}-{time.time_ns()}")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if moved is not None:
        shutil.rmtree(moved, ignore_errors=True)


def check_sqlite(path: Path, dataset_version: str) -> int:
    """``PRAGMA quick_check`` and the build's version in the finished file; the number of studies."""
    for suffix in ("-journal", "-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            raise PublishError(f"{path.name}{suffix} is still there after the build's commit")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA quick_check").fetchall()
        if result != [("ok",)]:
            raise PublishError(f"PRAGMA quick_check of the new database: {result[:3]}")
        return _check_rows(conn.execute("SELECT dataset_version FROM build_info").fetchall(),
                           conn.execute("SELECT count(*) FROM studies").fetchone()[0], dataset_version)
    except sqlite3.DatabaseError as exc:
        raise PublishError(f"the new database cannot be read: {exc}") from None
    finally:
        conn.close()


def _check_rows(versions, studies: int, dataset_version: str) -> int:
    if [tuple(v) for v in versions] != [(dataset_version,)]:
        raise PublishError(f"the new database holds version(s) {versions}, not {dataset_version}")
    return studies


def check_database(database_url: str, dataset_version: str) -> int:
    """The committed server database holds ``dataset_version``; the number of studies."""
    from sqlalchemy import text

    from .db.session import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return _check_rows(conn.execute(text("SELECT dataset_version FROM build_info")).all(),
                               conn.execute(text("SELECT count(*) FROM studies")).scalar_one(), dataset_version)
    finally:
        engine.dispose()


def check_index(index_dir: Path, dataset_version: str, studies: int) -> None:
    """The new index opens, holds ``dataset_version`` and one document per study."""
    from .search.reader import open_index

    try:
        opened = open_index(str(index_dir))
        meta, docs = opened.meta, opened.doc_count
    except Exception as exc:  # noqa: BLE001 - any failure to open is a failed check
        raise PublishError(f"the new index cannot be opened: {exc.__class__.__name__}: {exc}") from None
    if meta.get("dataset_version") != dataset_version:
        raise PublishError(f"the new index holds version {meta.get('dataset_version')}, not {dataset_version}")
    if docs != studies:
        raise PublishError(f"the new index holds {docs} studies, the database {studies}")


class Stage:
    def __init__(self, settings, layout: Layout, live: Version | None):
        self.settings, self.layout, self.live = settings, layout, live
        self.folder: Path | None = None
        self.copy: sealing.BackgroundCopy | None = None

    def start(self) -> Path:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        self.folder = self.layout.root / f"{self.layout.prefix}{time.time_ns()}-{os.getpid()}"
        self.folder.mkdir()
        return self.folder

    @property
    def index_dir(self) -> Path:
        return self.folder / INDEX

    @property
    def database_path(self) -> Path | None:
        return self.folder / self.layout.db_name if self.layout.db_name else None

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}" if self.database_path else self.settings.database_url

    def abandon(self) -> None:
        """Remove the folder :meth:`start` made (the build goes another way)."""
        if self.copy is not None:
            self.copy.join()
            self.copy = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def copy_database(self, source: Path) -> sealing.BackgroundCopy:
        """Start copying the published database into the new folder (see :class:`evidence.sealing.BackgroundCopy`)."""
        self.copy = sealing.BackgroundCopy(source, self.database_path)
        return self.copy

    def publish(self, dataset_version: str) -> None:
        """Check the new folder, write its manifest, and make it current in one rename."""
        trace("written")
        if self.copy is not None:
            self.copy.wait()
        known = sealing.known_files(self.live)
        # the files are hashed in a thread while the database and the index are checked: hashing and
        # SQLite's quick_check both release the GIL, and each reads a few hundred MB at 20k studies
        with ThreadPoolExecutor(1) as pool:
            described = pool.submit(sealing.describe, self.folder, known)
            if self.database_path is not None:
                studies = check_sqlite(self.database_path, dataset_version)
            else:
                studies = check_database(self.settings.database_url, dataset_version)
            check_index(self.index_dir, dataset_version, studies)
            content = described.result()
        files = {rel: os.stat(self.folder / rel).st_size for rel in content}
        manifest = {"dataset_version": dataset_version, "database": self.layout.db_name, "index": INDEX,
                    "files": files, "content": content}
        (self.folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        sealing.make_durable(self.folder, [MANIFEST], known)
        trace("checked")
        layout = self.layout
        tmp = layout.root / f"{layout.current.name}.tmp-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(self.folder.name, tmp)
        os.replace(tmp, layout.current)  # THE publishing step
        sealing.fsync(layout.root, directory=True)
        trace("switched")
        _relink(layout.index_link, f"{layout.current.name}/{INDEX}")
        if layout.db_link is not None:
            layout.db_link.parent.mkdir(parents=True, exist_ok=True)
            _relink(layout.db_link, os.path.relpath(layout.current / layout.db_link.name, layout.db_link.parent))
        previous = self.live.folder if self.live is not None else None
        if previous is not None:  # kept one build longer, for requests that resolved it just before the switch
            _relink(layout.previous, previous.name)
        else:
            layout.previous.unlink(missing_ok=True)
        clean(layout)
        trace("published")


def _published(layout: Layout, link: Path | None = None) -> Path | None:
    try:
        return layout.root / os.readlink(link or layout.current)
    except OSError:
        return None


def clean(layout: Layout, keep=()) -> list[Path]:
    """Remove what builds left: unpublished or superseded folders, temporary links, journals.

    Call it only under the build lock. Keeps the current folder, the previous
    one (for requests that resolved it just before the switch), the folders in
    ``keep`` and the target of an older layout's index link. Returns what it removed.
    """
    keep = {Path(k) for k in keep if k is not None}
    current = _published(layout)
    keep.update(p for p in (current, _published(layout, layout.previous)) if p is not None)
    removed = []
    name = layout.index_link.name
    legacy_target = None
    if layout.index_link.is_symlink() and current is None:
        legacy_target = Path(os.path.realpath(layout.index_link))
    patterns = [f"{layout.prefix}*", f".{name}.v-*", f".{name}.replaced-*", f".{name}.link-*",
                f"{layout.current.name}.tmp-*", f".{layout.previous.name}.link-*"]
    if layout.db_link is not None and layout.db_link.parent.is_dir():
        db = layout.db_link.name
        patterns_db = [f".{db}.building-*", f".{db}.link-*"]
        if current is not None:  # the live database is a link into a published folder: nothing writes here
            patterns_db += [f"{db}-journal", f"{db}-wal", f"{db}-shm"]
        removed += _remove(layout.db_link.parent, patterns_db, keep)
    if layout.root.is_dir():
        removed += _remove(layout.root, patterns, keep | ({legacy_target} if legacy_target else set()))
    return removed


def _remove(folder: Path, patterns: list[str], keep: set[Path]) -> list[Path]:
    removed = []
    for pattern in patterns:
        for path in folder.glob(pattern):
            if path in keep or (not path.is_symlink() and Path(os.path.realpath(path)) in keep):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def staging(settings):
    """The build lock, the leftovers of killed builds cleared, and the live version (if usable)."""
    layout = Layout.of(settings)
    layout.root.mkdir(parents=True, exist_ok=True)
    lock = open(layout.root / f".{layout.index_link.name}{LOCK_SUFFIX}", "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; released by the kernel if we are killed
        clean(layout)
        trace("locked")
        try:
            live = resolve(settings)
            if live.folder is None:
                live = None
            else:
                read_manifest(live.folder)
        except ReadSideError:
            live = None
        stage = Stage(settings, layout, live)
        try:
            yield stage
        finally:
            if _published(layout) != stage.folder:
                stage.abandon()  # failed before publishing: leave nothing
    finally:
        lock.close()
