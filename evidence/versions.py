"""The published read side: one versioned folder holding the database and the index, behind one link.

Layout, for ``EVIDENCE_INDEX_DIR=<root>/index`` and an SQLite database at
``<root>/evidence.db`` (the defaults; the database may live elsewhere)::

    <root>/.index.read-<version>-<ns>-<pid>/   one published build (never changed once published)
        evidence.db                            the SQLite database (absent with PostgreSQL)
        index/                                 the search index: postings (facets too), cards, sort keys
        manifest.json                          dataset version, and every file's size
    <root>/.index.current -> .index.read-…     THE switch: one rename publishes a build
    <root>/.index.previous -> .index.read-…    the build it replaced, kept until the next build
    <root>/.index.lock                         held by a running build (one at a time)
    <root>/index          -> .index.current/index          (fixed links, made once)
    <root>/evidence.db    -> .index.current/evidence.db

A build writes a new folder, checks it, and replaces ``.index.current`` with
one ``os.replace`` of a new link, so a reader sees the old pair or the new
pair, never one of each. Readers resolve ``.index.current`` once and open the
database and the index *in that folder* (:func:`resolve`): the two come from
one build by construction. A published folder is never written again, so
readers open its database ``immutable`` (no journal, no locks to look for).

``manifest.json`` lists every file with its size; :func:`verify` compares
them before a reader maps a file, so a truncated file gives a clear error
instead of a SIGBUS when its pages are touched.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
INDEX = "index"


class ReadSideError(Exception):
    """The published database or index cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Layout:
    """Where the read side of ``settings`` lives."""

    index_link: Path  # settings.index_dir: a fixed link into the current folder
    db_link: Path | None  # settings.sqlite_path: a fixed link too (None: another database)

    @classmethod
    def of(cls, settings) -> Layout:
        return cls(Path(settings.index_dir), settings.sqlite_path)

    @property
    def root(self) -> Path:
        return self.index_link.parent

    @property
    def current(self) -> Path:
        return self.root / f".{self.index_link.name}.current"

    @property
    def previous(self) -> Path:
        """A link to the folder the last build replaced (kept one build longer)."""
        return self.root / f".{self.index_link.name}.previous"

    @property
    def prefix(self) -> str:
        return f".{self.index_link.name}.read-"

    @property
    def db_name(self) -> str | None:
        return self.db_link.name if self.db_link is not None else None

    def folders(self) -> list[Path]:
        return sorted(self.root.glob(f"{self.prefix}*")) if self.root.is_dir() else []


@dataclass(frozen=True)
class Version:
    """One published folder, as a reader opens it."""

    folder: Path | None  # None: an older layout (a plain index and database file), opened as configured
    dataset_version: str | None
    index_dir: Path
    database_url: str
    files: dict  # relative path -> size, from the manifest
    database_path: Path | None = None  # the SQLite file, when the database is one

    @property
    def key(self) -> str:
        return str(self.folder or self.index_dir)


def database_url_for(path: Path, immutable: bool) -> str:
    """A read-only SQLite URL; ``immutable`` for a published file (never changed: no journal to look for)."""
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    return f"sqlite:///file:{path}?{flags}&uri=true"


#: Parsed manifests by (path, inode, size, mtime): every request resolves its version, and a published folder
#: never changes, so the parse is kept; a replaced or damaged manifest has another key. Bounded: old builds go.
_MANIFESTS: dict[tuple, dict] = {}
_MANIFESTS_KEPT = 8


def read_manifest(folder: Path) -> dict:
    path = os.path.join(folder, MANIFEST)
    try:
        st = os.stat(path)
        key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        manifest = _MANIFESTS.get(key)
        if manifest is not None:
            return manifest
        with open(path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ReadSideError(f"the published build {folder.name} has no readable {MANIFEST} "
                            f"({exc.__class__.__name__}): run `evidence build`") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ReadSideError(f"the manifest of {folder.name} is malformed: run `evidence build`")
    if len(_MANIFESTS) >= _MANIFESTS_KEPT:
        _MANIFESTS.clear()
    _MANIFESTS[key] = manifest
    return manifest


def resolve(settings) -> Version:
    """The read side to open now: the current published folder, or the configured paths (older layout)."""
    layout = Layout.of(settings)
    try:
        target = os.readlink(layout.current)
    except FileNotFoundError:
        if layout.db_link is not None and not os.path.lexists(layout.index_link) \
                and not os.path.lexists(layout.db_link):
            raise ReadSideError("nothing is built yet: run `evidence build`") from None
        url = (database_url_for(layout.db_link, immutable=False) if layout.db_link is not None
               else settings.database_url)
        return Version(None, None, Path(os.path.realpath(layout.index_link)), url, {}, layout.db_link)
    except OSError as exc:
        raise ReadSideError(f"cannot read the link {layout.current} ({exc.strerror})") from None
    folder = layout.root / target
    manifest = read_manifest(folder)
    if layout.db_link is not None:
        name = manifest.get("database")
        if not name:
            raise ReadSideError(f"the published build {folder.name} holds no SQLite database, but "
                                "EVIDENCE_DATABASE_URL names one: run `evidence build`")
        url = database_url_for(folder / name, immutable=True)
    else:
        name, url = None, settings.database_url
    return Version(folder, manifest.get("dataset_version"), folder / INDEX, url, manifest["files"],
                   folder / name if name else None)


def verify(version: Version) -> None:
    """Every file of the manifest is there with its size (before anything maps it); raise ReadSideError."""
    if version.folder is None:
        if not version.index_dir.is_dir():
            raise ReadSideError(f"no search index at {version.index_dir}: run `evidence build`")
        return
    # a file damaged while serving must give a 503, not a SIGBUS: the read side runs this whenever a file
    # may have changed (evidence/readside.py); plain string paths, since pathlib's joins cost more than stats
    base = os.path.join(version.folder, "")
    for rel, size in version.files.items():
        try:
            actual = os.stat(base + rel).st_size
        except OSError:
            raise ReadSideError(f"{rel} is missing from the published build {version.folder.name}: "
                                "run `evidence build` to publish a new one") from None
        if actual != size:
            raise ReadSideError(f"{rel} in the published build {version.folder.name} has {actual} bytes, "
                                f"not {size}: the file is damaged; run `evidence build`")


def file_hash(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: Files whose content was checked: (path, size, mtime_ns, inode) -> the hash found
_checked: dict[tuple, str] = {}


def verify_content(version: Version) -> None:
    """:func:`verify`, and every file as published: a file written since (its modification time moved)
    is hashed, and must hash as it did when published (a copy that did not keep times passes, once)."""
    verify(version)
    if version.folder is None:
        return
    described = read_manifest(version.folder).get("content", {})
    for rel, expected in described.items():
        path = version.folder / rel
        try:
            st = os.stat(path)
            if st.st_mtime_ns == expected["mtime_ns"]:
                continue
            key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
            found = _checked.get(key)
            if found is None:
                found = _checked[key] = file_hash(path)
        except OSError as exc:
            raise ReadSideError(f"{rel} in the published build {version.folder.name} cannot be read "
                                f"({exc.strerror}): run `evidence build`") from None
        if found != expected["sha256"]:
            raise ReadSideError(f"{rel} in the published build {version.folder.name} has changed since it was "
                                "published: the file is damaged; run `evidence build`")
