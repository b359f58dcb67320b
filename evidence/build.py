"""``evidence build``: validate, compute, and load everything, all or nothing.

The build reads ``data/``, computes every effect size and pooled parameter,
and writes a new database beside the old one (SQLite) or in one transaction
(any other database), so a failed or interrupted build leaves the previous
database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import insert, inspect
from sqlalchemy.schema import CreateIndex, CreateTable

from . import publish
from .config import Settings
from .db.models import Base, BuildFile, BuildInfo, Term
from .db.session import make_engine
from .incremental import build_incremental
from .prepared import (
    CODE_ROW,
    SCHEMA_VERSION,
    BuildError,
    Prepared,
    add_study,
    code_hash,
    code_row,
    content_hash,
    file_row,
    insert_records,
    release_rows,
    term_rows,
    terms_hash,
    version_of,
    vocabulary_files,
)
from .records.validate import Corpus, load_corpus
from .search import indexer
from .services import pooling
from .services.groups import group

__all__ = ["BuildError", "Prepared", "build", "code_hash", "prepare", "write_database"]


def prepare(data_dir: Path, track=None) -> Prepared:
    """Validate and compute everything in memory; raise BuildError listing every problem."""
    track = track or (lambda items, label: nullcontext(items))
    files: dict[str, dict] = {}
    for path in vocabulary_files(data_dir):
        if path.is_file():
            row, _ = file_row(data_dir, path)
            files[row["path"]] = row

    def read(path: Path) -> bytes:
        row, content = file_row(data_dir, path)
        files[row["path"]] = row
        return content

    prepared = Prepared(Corpus(), "")
    candidates, problems = [], []

    def compute(record, vocab) -> None:  # a record's rows while the worker processes validate the next records
        add_study(record, data_dir, vocab, prepared, candidates, problems)
        study = prepared.studies[-1]
        row = files[study["path"]]
        row["study_id"], row["content_hash"] = study["id"], content_hash(study["record"])

    corpus = prepared.corpus = load_corpus(data_dir, read=read, each=compute)
    if corpus.problems:
        raise BuildError(corpus.problems)
    vocab = corpus.vocabulary
    prepared.terms = term_rows(corpus)
    # The rows hold everything the index and the database need (each study's record as ``record``): the
    # parsed records go before the index is built, which is the build's peak of memory (~250 MB at 20k).
    corpus.studies = []
    if problems:
        raise BuildError(problems)
    files[CODE_ROW] = code_row()
    prepared.files = [files[p] for p in sorted(files)]
    prepared.dataset_version = version_of(terms_hash(corpus), [(s["id"], files[s["path"]]["content_hash"])
                                                              for s in prepared.studies])
    groups = group(candidates, vocab)
    prepared.parameters = pooling.pool_all(groups, vocab, track=track)
    return prepared


def _fill(connection, prepared: Prepared, built_at: str) -> None:
    # Into new tables (SQLite's new file, a first build) the rows go before the secondary indexes, which are
    # then made from them: one sort each, where kept up to date row by row each row is an insert into a
    # B-tree per index. The index names are sorted: the order create_all used came from a set.
    new = not inspect(connection).get_table_names()
    if new:
        for table in Base.metadata.sorted_tables:
            connection.execute(CreateTable(table))
    else:
        Base.metadata.create_all(connection)
    if prepared.terms:
        connection.execute(insert(Term), prepared.terms)
    insert_records(connection, prepared)
    if prepared.files:
        connection.execute(insert(BuildFile), prepared.files)
    connection.execute(insert(BuildInfo), [{"dataset_version": prepared.dataset_version,
                                            "schema_version": SCHEMA_VERSION, "built_at": built_at,
                                            "counts": prepared.counts()}])
    if new:
        for table in Base.metadata.sorted_tables:
            for index in sorted(table.indexes, key=lambda i: i.name):
                connection.execute(CreateIndex(index))


def write_database(settings: Settings, prepared: Prepared, built_at: str, database_url: str | None = None,
                   before_commit=None) -> None:
    """Fill the database at ``database_url`` (default: the settings') with ``prepared``: all of it, or nothing.

    SQLite: a new file (the build's unpublished folder, see :mod:`evidence.publish`).
    Any other database: one transaction that drops and refills every table.
    ``before_commit()`` runs inside that transaction once every row is in; if it raises, nothing is committed.
    """
    url = database_url or settings.database_url
    engine = make_engine(url)
    try:
        with engine.begin() as connection:  # PostgreSQL's DDL is transactional: all or nothing
            if not url.startswith("sqlite"):
                _empty(connection)
            _fill(connection, prepared, built_at)
            if before_commit is not None:
                before_commit()
    finally:
        engine.dispose()


def _empty(connection) -> None:
    """Empty every table for a refill, in the build's transaction.

    Rows are deleted, not tables dropped, when the tables are as the models
    say: a delete does not lock readers out (they see the old rows until the
    commit), whereas dropping takes each table's exclusive lock in turn and
    deadlocks with a request that reads two tables meanwhile. Tables of
    another shape (an older schema) are dropped and made again.
    """
    inspector = inspect(connection)
    existing = set(inspector.get_table_names())
    same = all(t.name in existing and {c["name"] for c in inspector.get_columns(t.name)} == set(t.columns.keys())
               for t in Base.metadata.sorted_tables)
    if not same:
        Base.metadata.drop_all(connection)
        return
    for table in reversed(Base.metadata.sorted_tables):
        connection.execute(table.delete())


def build(settings: Settings, track=None, built_at: str | None = None, incremental: bool = False) -> Prepared:
    """Build the database and the index from ``settings.data_dir``: all of it, or nothing.

    ``incremental``: when the last build's files are known (``build_files``)
    and only study records changed, redo only what those changes touch
    (``evidence.incremental.build_incremental``); otherwise, or when it cannot, a full build.

    Either way the new database (SQLite: a new file) and the new index are
    written into a new folder, checked, and published together in one step
    (:mod:`evidence.publish`); a killed build leaves the published pair as it
    was, and the next build clears what it left. A full build writes the index
    inside the database's transaction, after the rows and before the commit (as
    the incremental build does), and returns ``prepared`` without the studies'
    records and with only each parameter's id, studies and strength: the rest is
    in the database.
    """
    built_at = built_at or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    with publish.staging(settings) as stage:
        if incremental:
            done = build_incremental(settings, built_at, stage, code_hash())
            if done is not None:
                return done
        prepared = prepare(settings.data_dir, track)
        stage.start()
        publish.trace("prepared")

        # The index's documents are analysed in worker processes while this one writes the rows; the
        # index is written once the rows are in but not committed, from what is left once the database
        # holds the rest (the pooled results are not held while the postings are made: the build's peak of
        # memory); the commit (PostgreSQL: what readers see) waits for the index.
        with indexer.index_writing(stage.index_dir, prepared) as write_index:
            def index() -> None:
                release_rows(prepared)
                write_index()
                publish.trace("indexed")

            write_database(settings, prepared, built_at, stage.database_url, before_commit=index)
        stage.publish(prepared.dataset_version)
    return prepared
