"""What changed in ``data/`` since the last build, from the ``build_files`` rows it recorded.

:func:`previous_build` reads those rows (None when there is no usable last build: none, another
schema or dataset version, or other code); :func:`scan_changes` compares every file's size and
mtime with them and hashes only the files that differ. Part of the incremental build
(:mod:`evidence.incremental`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from .db.models import BuildFile, BuildInfo
from .db.session import make_engine
from .prepared import CODE_ROW, RACY_NS, SCHEMA_VERSION, file_row, vocabulary_files
from .records.validate import STRAY

TABLES = {"build_files", "build_info", "studies", "effects", "parameters", "terms"}


def previous_build(live, code: str) -> dict[str, dict] | None:
    """The last build's ``build_files`` rows by path, or None when there is no usable last build.

    ``code`` is the hash of the build's code now (:func:`evidence.prepared.code_hash`): another means a full build.

    ``live`` is the published :class:`~evidence.versions.Version`; its database
    must hold the index's version (a PostgreSQL build killed between its commit
    and publishing the index does not): otherwise a full build repairs both.
    """
    engine = make_engine(live.database_url, readonly=True)
    try:
        with engine.connect() as conn:
            if not TABLES <= set(inspect(conn).get_table_names()):
                return None
            infos = conn.execute(select(BuildInfo.schema_version, BuildInfo.dataset_version)).all()
            if len(infos) != 1 or infos[0].schema_version != SCHEMA_VERSION \
                    or infos[0].dataset_version != live.dataset_version:
                return None
            names = [c.name for c in BuildFile.__table__.c]
            result = conn.exec_driver_sql(f"SELECT {', '.join(names)} FROM build_files")  # plain rows: fast
            files = {r[0]: dict(zip(names, r)) for r in result}
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    row = files.pop(CODE_ROW, None)
    if row is None or row["sha256"] != code:
        return None  # built by other code: what it computed may differ
    return files or None


@dataclass
class Scan:
    kept: dict[str, dict]  # unchanged files: their rows as they are
    refreshed: dict[str, dict]  # same bytes, new (size, mtime): new rows, same study
    changed: dict[str, tuple[dict, bytes]]  # new or changed study files: rows and bytes
    removed: list[str]
    names: list[str]  # every study file's name now


def scan_changes(data_dir: Path, previous: dict[str, dict]) -> Scan | None:
    """What changed since the last build; None when a full build is needed (vocabulary, stray files)."""
    studies_dir = data_dir / "studies"
    names = sorted(os.listdir(studies_dir)) if studies_dir.is_dir() else []  # as study_paths() finds them
    # a name ending in .yaml is no stray: splitext only the others (at 20k, 20k splitext calls cost 0.1 s)
    if any(os.path.splitext(n)[1] in STRAY for n in names if not n.endswith(".yaml")):
        return None  # the full build reports them
    names = [n for n in names if n.endswith(".yaml")]
    scan = Scan({}, {}, {}, [], names)
    vocabularies = [f"vocabularies/{p.name}" for p in vocabulary_files(data_dir)]
    base = os.path.join(str(data_dir), "")  # joined by hand: os.path.join per file costs more than its stat
    for rel in [*vocabularies, *(f"studies/{n}" for n in names)]:
        prev = previous.get(rel)
        checked = time.time_ns()
        try:
            st = os.stat(base + rel)
        except FileNotFoundError:
            return None
        if (prev is not None and prev["size"] == st.st_size and prev["mtime_ns"] == st.st_mtime_ns
                and st.st_mtime_ns < prev["checked_ns"] - RACY_NS):
            scan.kept[rel] = prev
            continue
        row, content = file_row(data_dir, data_dir / rel, st=st, checked=checked)
        if prev is not None and prev["sha256"] == row["sha256"]:
            row["study_id"], row["content_hash"] = prev["study_id"], prev["content_hash"]
            scan.refreshed[rel] = row
        elif rel in vocabularies:
            return None  # a vocabulary changed: every record may read differently
        else:
            scan.changed[rel] = (row, content)
    now = set(scan.kept) | set(scan.refreshed) | set(scan.changed)
    scan.removed = sorted(rel for rel in previous if rel not in now)
    return scan


class Stems:
    """``{stem: path}`` of the study files, made on demand (``check_id`` looks up a few)."""

    def __init__(self, folder: Path, names: list[str]):
        self.folder, self.names = folder, set(names)

    def get(self, stem: str, default=None):
        return self.folder / f"{stem}.yaml" if f"{stem}.yaml" in self.names else default
