"""Which dataset a request reads: the current build, or a release named by ``?version=``.

One service for the pages and the API (the business case page and ``/api/v1/business-case`` read the
same cached source). Loaded sources are kept per app (the current build by its dataset_version, a
release by its name — releases never change), and the request remembers the dataset it used in ``g``
for the ``X-Dataset-Version`` header and the ETag. What cannot be read raises :class:`NothingBuilt`
or :class:`UnknownRelease`; the API answers them as problems, the pages as error pages.
"""

from __future__ import annotations

import threading

from flask import current_app, g

from ..db.extension import db
from ..export import release as releases
from ..records.vocabulary import Vocabulary
from ..versions import ReadSideError
from . import parameters as service

_lock = threading.Lock()


class NothingBuilt(ReadSideError):
    """The database holds no build yet (a read-side error: pages and the API answer 503)."""


class UnknownRelease(LookupError):
    """``?version=`` names no release and no dataset version; ``available`` lists the releases."""

    def __init__(self, version: str, available: list[dict]):
        super().__init__(f"There is no release or dataset version '{version}'.")
        self.version, self.available = version, available


def _cache() -> dict:
    return current_app.extensions.setdefault("evidence.api", {"current": {}, "releases": {}, "vocab": {}})


def current_version() -> str:
    """The built dataset's version (:class:`NothingBuilt` if nothing is built)."""
    if "dataset_version" not in g:
        info = service.build_info(db.session())
        if info is None:
            raise NothingBuilt("No dataset has been built yet (run `evidence build`).")
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
        except NothingBuilt:
            pass  # no build: releases can still be served
        found = releases.find(settings.releases_dir, version)
        if found is None:
            raise UnknownRelease(version, [r.summary() for r in releases.releases(settings.releases_dir)])
        source = found.source()
        with _lock:
            cache[version] = source
    g.dataset_version, g.release = source.dataset_version, source.release
    return source
