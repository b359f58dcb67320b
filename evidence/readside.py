"""The app's view of the read side: one published version per request, checked before use.

:class:`ReadSide` (one per app) resolves the published folder
(:func:`evidence.versions.resolve`) once per request and pins it in ``g``,
so the request's database session and its search index come from the same
build even if a build publishes a new one meanwhile. Before a request uses a
version, its files must match the manifest (:func:`evidence.versions.verify`
compares every file's size): a truncated index file is refused with a clear
error, never mapped (touching a mapped page past the end of a file kills the
worker with SIGBUS). The full check runs again only when the kernel reports a
change to one of the files since it last passed (:mod:`evidence.filewatch`),
or on every request where it cannot watch them.

:meth:`ReadSide.health` is what ``/healthz`` answers: the database and the
index open, hold the same dataset version, and answer a query.
"""

from __future__ import annotations

import os
import threading

from flask import current_app, g, has_request_context
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from . import versions
from .db.session import make_engine
from .filewatch import Watch
from .search.reader import IndexMissing
from .versions import ReadSideError, Version

#: What reading raises when the read side cannot be used: answered with 503, not 500.
UNAVAILABLE = (ReadSideError, IndexMissing, SQLAlchemyError)

#: How many versions' engines a process keeps (the current one and the one a request may still hold).
KEEP = 2


class ReadSide:
    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._makers: dict[str, sessionmaker] = {}
        self._watched: tuple[str, Watch] | None = None  # (version key, a watch on its files since they passed)

    def resolve(self) -> Version:
        """The current version, its files checked; raises ReadSideError."""
        version = versions.resolve(self.settings)
        self._verify(version)
        return version

    def _verify(self, version: Version) -> None:
        """:func:`versions.verify`, skipped while the kernel says none of the version's files changed since
        it last passed (one system call instead of a stat per file, ~0.3-0.6 ms a request)."""
        watched = self._watched
        if watched is not None and watched[0] == version.key and watched[1].quiet():
            return
        with self._lock:
            self._watched = None  # its news is read: until a check passes, every request checks in full
            # the new watch starts before the check, so a change during the check is seen next time
            watch = Watch.start(os.path.join(version.folder, rel) for rel in version.files) \
                if version.folder is not None else None
            versions.verify(version)
            self._watched = (version.key, watch) if watch is not None else None

    def pinned(self) -> Version:
        """The request's version (resolved once per request), or the current one outside a request."""
        if not has_request_context():
            return self.resolve()
        version = g.get("evidence_version")
        if version is None:
            version = g.evidence_version = self.resolve()
        return version

    def sessionmaker(self, version: Version | None = None) -> sessionmaker:
        version = version or self.pinned()
        maker = self._makers.get(version.key)
        if maker is not None:
            return maker
        with self._lock:
            maker = self._makers.get(version.key)
            if maker is None:
                maker = sessionmaker(make_engine(version.database_url, readonly=True), expire_on_commit=False)
                self._makers[version.key] = maker
                for key in list(self._makers)[:-KEEP]:
                    self._makers.pop(key).kw["bind"].dispose()
        return maker

    def index_path(self) -> str:
        return str(self.pinned().index_dir)

    def dispose(self, close: bool = True, keep: bool = False) -> None:
        """Drop every engine's connections (``close=False`` after a fork: the child opens its own).

        ``keep``: the engines stay, with new empty pools (SQLAlchemy's recipe for a forked child), so
        what a server's master made before forking (the dialect, compiled statements) is shared by
        its workers instead of made again in each."""
        with self._lock:
            for maker in self._makers.values():
                maker.kw["bind"].dispose(close=close)
            if not keep:
                self._makers.clear()

    def health(self, holder) -> tuple[bool, dict]:
        """(healthy, details): the database and the index open, match in version and answer a query."""
        from .db.models import BuildInfo, Effect, Parameter, Study, Term
        from .services.search import search

        details: dict = {}
        try:
            version = self.pinned()
            details["published"] = version.folder.name if version.folder else None
            versions.verify_content(version)
            with self.sessionmaker(version)() as session:
                infos = session.scalars(select(BuildInfo.dataset_version)).all()
                if len(infos) != 1:
                    raise ReadSideError(f"the database holds {len(infos)} builds, not one: run `evidence build`")
                details["database_version"] = infos[0]
                studies = session.scalar(select(func.count()).select_from(Study))
                for model in (Effect, Parameter, Term):  # every table answers (reads its index pages)
                    session.scalar(select(func.count()).select_from(model))
                session.execute(text("SELECT 1"))
            opened = holder.current() if hasattr(holder, "current") else None
            index_version = opened.meta.get("dataset_version") if opened is not None else None
            details["index_version"] = index_version
            if index_version != infos[0] or (version.dataset_version not in (None, infos[0])):
                raise ReadSideError(f"the database holds version {infos[0]} but the index {index_version}: "
                                    "run `evidence build` to publish them together")
            result = search(holder, q="")
            if result.total != studies:
                raise ReadSideError(f"the index finds {result.total} studies, the database holds {studies}")
            details["studies"] = studies
        except ReadSideError as exc:
            return False, {**details, "reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - any failure to read is the answer, not a crash
            return False, {**details, "reason": f"{exc.__class__.__name__}: {str(exc)[:300]}"}
        return True, details


def unavailable_reason(exc: Exception) -> str | None:
    """Why the app's read side cannot serve (None when it can): ``exc`` itself, or what the health check finds.

    For an error handler: a damaged database or index is not a bug, and gets a
    503 and one log line instead of a 500 and a traceback.
    """
    if isinstance(exc, UNAVAILABLE):
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        return f"{exc.__class__.__name__}: {first}"
    try:
        ok, details = current_app.extensions["evidence.read"].health(current_app.extensions["evidence.search"])
    except Exception as inner:  # noqa: BLE001
        return f"{inner.__class__.__name__}: {inner}"
    return None if ok else details.get("reason", "unhealthy")
