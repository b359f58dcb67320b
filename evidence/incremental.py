"""The incremental path of ``evidence build``: redo only what changed study records touch.

``build_files`` records every file of the last build (size, mtime, hash) and
the hash of the build's own code. When only study records changed, the build
validates those files, recomputes their effects, re-pools the parameters they
touch before and after the change (at every parent target group), writes the
delta in one transaction, and updates the search index aside and swaps it in.
Anything else (a vocabulary, the schema, the code) means a full build.
Its parts: :mod:`evidence.changes` (what changed since the last build),
:mod:`evidence.repool` (re-pooling and the database's delta) and
:mod:`evidence.reindex` (the index's delta).
See docs/benchmarks.md, "Build performance: design and figures".
"""

from __future__ import annotations

from sqlalchemy import insert

from . import publish
from .changes import Stems, previous_build, scan_changes
from .config import Settings
from .db.models import BuildFile, BuildInfo
from .db.session import make_engine
from .prepared import (
    SCHEMA_VERSION,
    BuildError,
    Prepared,
    add_study,
    content_hash,
    terms_hash,
    version_of,
)
from .records.validate import Corpus, Problem, check_id, load_study, load_vocabulary
from .reindex import index_delta, read_back, strengths
from .repool import chunks, repool, totals, write_delta
from .search import indexer


def build_incremental(settings: Settings, built_at: str, stage, code: str) -> Prepared | None:
    """Apply what changed in the study records since the last build; None if a full build is needed.

    Validates the new and changed records only (the other records passed the
    last build with the same vocabulary; file names make ids unique);
    recomputes their effects; re-pools the parameters their effects belong to
    before and after the change (their keys at their target groups and every
    ancestor), reading the other rows of those parameters from the database;
    and writes the delta in one transaction — into a copy of the published
    SQLite file, or PostgreSQL's transaction — and the index into the stage's
    new folder, which ``stage`` (:class:`evidence.publish.Stage`) then checks
    and publishes. Raises BuildError, having written nothing, if a changed
    record has a problem. The result's lists hold what was rewritten; its
    ``totals`` are the whole dataset's counts.
    """
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        return None
    live = stage.live
    if live is None:
        return None
    previous = previous_build(live, code)
    if previous is None:
        return None
    stage.start()
    if stage.database_path is not None:  # the published file is never written: the delta goes into a copy,
        copy = stage.copy_database(live.database_path)  # made while the changes are read and validated
    scan = scan_changes(data_dir, previous)
    if scan is None:
        stage.abandon()
        return None
    corpus = Corpus()
    load_vocabulary(data_dir / "vocabularies", corpus)
    if corpus.problems:
        stage.abandon()
        return None
    vocab = corpus.vocabulary
    stems = Stems(data_dir / "studies", scan.names)
    records = []
    for rel in sorted(scan.changed):
        record = load_study(data_dir / rel, corpus, scan.changed[rel][1])
        if record is not None and check_id(record, stems, corpus):
            records.append(record)
    if corpus.problems:
        raise BuildError(corpus.problems)
    delta = Prepared(corpus, "", incremental=True)
    new_candidates: list[tuple] = []
    problems: list[Problem] = []
    per_study: list[tuple[str, int, list]] = []
    for record in records:
        cands: list[tuple] = []
        add_study(record, data_dir, vocab, delta, cands, problems)
        per_study.append((delta.studies[-1]["path"], -1, cands))
        new_candidates.extend(cands)
    if problems:
        raise BuildError(problems)

    files = {**scan.kept, **scan.refreshed}
    for study in delta.studies:
        row = scan.changed[study["path"]][0]
        row["study_id"], row["content_hash"] = study["id"], content_hash(study["record"])
        files[study["path"]] = row
    old_ids = {previous[rel]["study_id"] for rel in [*scan.changed, *scan.removed]
               if rel in previous and previous[rel]["study_id"]}
    new_ids = {s["id"] for s in delta.studies}
    affected = old_ids | new_ids
    version = version_of(terms_hash(corpus), [(r["study_id"], r["content_hash"]) for r in files.values()
                                              if r["study_id"] is not None])
    delta.dataset_version = version

    if stage.database_path is not None:
        copy.copied()
    publish.trace("copied")
    engine = make_engine(stage.database_url)
    try:
        with engine.begin() as conn:
            delta.parameters, dropped = repool(conn, vocab, delta, per_study, affected)
            incremental_index = (live.index_dir / indexer.META_FILE).is_file()
            before = (strengths(conn, delta, affected, dropped)
                      if incremental_index and (scan.changed or scan.removed)
                      else None)
            if scan.changed or scan.removed:
                write_delta(conn, delta, affected, dropped)
            stale = [*scan.changed, *scan.refreshed, *scan.removed]
            for chunk in chunks(stale):
                conn.execute(BuildFile.__table__.delete().where(BuildFile.path.in_(chunk)))
            rows = [files[rel] for rel in sorted(set(scan.changed) | set(scan.refreshed))]
            if rows:
                conn.execute(insert(BuildFile), rows)
            delta.totals = totals(conn, corpus)
            conn.execute(BuildInfo.__table__.delete())
            conn.execute(insert(BuildInfo), [{"dataset_version": version, "schema_version": SCHEMA_VERSION,
                                              "built_at": built_at, "counts": delta.totals}])
            publish.trace("delta written")
            if not (scan.changed or scan.removed) and incremental_index:
                indexer.link_index(live.index_dir, stage.index_dir)
            elif before is not None:
                index_delta(conn, live.index_dir, stage.index_dir, corpus, delta, old_ids - new_ids, dropped,
                            before)
            else:  # the index cannot be updated in place: a new one from the database as it now is
                indexer.write_index(stage.index_dir, read_back(conn, corpus, version))
        # committed (SQLite: into the unpublished copy)
    finally:
        engine.dispose()
    stage.publish(version)
    return delta
