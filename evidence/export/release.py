"""Releases: immutable, citable snapshots of the parameters export.

``<releases_dir>/<name>/`` holds the export in every format, ``CHANGELOG.md``
(what changed since the previous release) and ``manifest.json`` (dataset
version, dates, previous release, sha256 of every file). A release is written
to a hidden folder and renamed into place, so it appears whole or not at all,
and is never overwritten. The API reads it back for ``?version=``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..services.parameters import Source
from . import changelog
from .document import FORMATS, document, from_json, render

MANIFEST, CHANGELOG = "manifest.json", "CHANGELOG.md"
FILES = {fmt: f"evidence-parameters.{fmt}" for fmt in FORMATS}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ReleaseError(Exception):
    """A release that cannot be written or read as asked."""


@dataclass(frozen=True)
class Release:
    name: str
    path: Path
    manifest: dict

    @property
    def dataset_version(self) -> str:
        return self.manifest["dataset_version"]

    def summary(self) -> dict:
        m = self.manifest
        return {"name": self.name, "dataset_version": m["dataset_version"], "built_at": m["built_at"],
                "released_at": m["released_at"]}

    def source(self) -> Source:
        """The release's parameters, after checking the file against the manifest."""
        data = (self.path / FILES["json"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != self.manifest["files"][FILES["json"]]["sha256"]:
            raise ReleaseError(f"release {self.name}: {FILES['json']} does not match its manifest checksum")
        doc = from_json(data)
        return Source(doc["dataset_version"], doc["generated_at"], doc["parameters"], release=self.name)


def releases(releases_dir: Path) -> list[Release]:
    """Every release, oldest first (by release time, then name)."""
    out = []
    if releases_dir.is_dir():
        for path in releases_dir.iterdir():
            if path.name.startswith("."):
                continue  # a release being written
            try:
                manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # not a release (or a half-written one from another tool)
            out.append(Release(path.name, path, manifest))
    return sorted(out, key=lambda r: (r.manifest.get("released_at", ""), r.name))


def find(releases_dir: Path, version: str) -> Release | None:
    """The release named ``version``, else the newest release of dataset ``version``."""
    found = releases(releases_dir)
    named = [r for r in found if r.name == version]
    if named:
        return named[0]
    same = [r for r in found if r.dataset_version == version]
    return same[-1] if same else None


def default_name(dataset_version: str, today: dt.date | None = None) -> str:
    today = today or dt.datetime.now(dt.UTC).date()
    return f"{today.isoformat()}-{dataset_version[:8]}"


def write(releases_dir: Path, source: Source, name: str | None = None, now: dt.datetime | None = None) -> Release:
    """Write a new release of ``source``; refuse a name that exists or is not a plain folder name."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    name = name or default_name(source.dataset_version, now.date())
    if not NAME.match(name):
        raise ReleaseError(f"release name {name!r}: use letters, digits, '.', '_' and '-' (at most 100)")
    target = releases_dir / name
    if target.exists():
        raise ReleaseError(f"release {name} already exists at {target}; releases are never overwritten")
    previous = (releases(releases_dir) or [None])[-1]
    doc = document(source)
    files = {FILES[fmt]: render(doc, fmt).body for fmt in FORMATS}
    old = previous.source().parameters if previous else []
    released_at = now.isoformat()
    files[CHANGELOG] = changelog.markdown(name, doc, released_at, previous.manifest if previous else None,
                                          old).encode("utf-8")
    manifest = {
        "name": name, "schema": doc["schema"], "dataset_version": doc["dataset_version"],
        "built_at": doc["generated_at"], "released_at": released_at, "settings": doc["settings"],
        "parameters": len(doc["parameters"]), "previous": previous.name if previous else None,
        "files": {fname: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
                  for fname, body in files.items()},
        "cite": f"evidence knowledge base, release {name} (dataset {doc['dataset_version']})",
    }
    files[MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    releases_dir.mkdir(parents=True, exist_ok=True)
    staging = releases_dir / f".{name}.writing-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for fname, body in files.items():
            (staging / fname).write_bytes(body)
            os.chmod(staging / fname, 0o444)
        try:
            os.rename(staging, target)  # fails if target appeared meanwhile (non-empty dir)
        except OSError as exc:
            raise ReleaseError(f"release {name} already exists at {target}; releases are never overwritten") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Release(name, target, manifest)
