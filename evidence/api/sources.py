"""Which dataset a request reads: the current build, or a release named by ``?version=``.

Loaded sources are kept per app (the current build by its dataset_version, a
release by its name — releases never change), and the request remembers the
dataset it used in ``g`` for the ``X-Dataset-Version`` header and the ETag.
"""

from __future__ import annotations

import threading

from flask import current_app, g

from ..db.extension import db
from ..export import release as releases
from ..records.vocabulary import Vocabulary
from ..services import parameters as service
from .problems import Problem, not_found

_lock = threading.Lock()


def _cache() -> dict:
    return current_app.extensions.setdefault("evidence.api", {"current": {}, "releases": {}, "vocab": {}})


def current_version() -> str:
    """The built dataset's version (503 problem if nothing is built)."""
    if "dataset_version" not in g:
        info = service.build_info(db.session())
        if info is None:
            raise Problem(503, "No dataset has been built yet (run `evidence build`).", "unavailable",
                          {"Retry-After": "60"})
        g.dataset_version = g.current_version = info.dataset_version
    return g.get("current_version") or g.dataset_version


def current() -> service.Source:
    version = current_version()
    cache = _cache()["current"]
    source = cache.get(version)
    if source is None:
        source = service.load_current(db.session())
        with _lock:
            cache.clear()  # one build at a time: drop the previous one
            cache[source.dataset_version] = source
    g.dataset_version = source.dataset_version
    return source


def vocabulary() -> Vocabulary:
    version = current_version()
    cache = _cache()["vocab"]
    if version not in cache:
        vocab = service.vocabulary(db.session())
        with _lock:
            cache.clear()
            cache[version] = vocab
    return cache[version]


def for_version(version: str | None) -> service.Source:
    """The current build, or the release named (or of the dataset version) ``version``."""
    if version is None:
        return current()
    settings = current_app.config["EVIDENCE"]
    cache = _cache()["releases"]
    source = cache.get(version)
    if source is None:
        try:
            if version == current_version():
                return current()
        except Problem:
            pass  # no build: releases can still be served
        found = releases.find(settings.releases_dir, version)
        if found is None:
            available = [r.summary() for r in releases.releases(settings.releases_dir)]
            raise not_found(f"There is no release or dataset version '{version}'.", kind="unknown-release",
                            suggestions=[r["name"] for r in available][-5:], available=available)
        source = found.source()
        with _lock:
            cache[version] = source
    g.dataset_version, g.release = source.dataset_version, source.release
    return source
