"""The incremental path of ``evidence build``: redo only what changed study records touch.

``build_files`` records every file of the last build (size, mtime, hash) and
the hash of the build's own code. When only study records changed, the build
validates those files, recomputes their effects, re-pools the parameters they
touch before and after the change (at every parent target group), writes the
delta in one transaction, and updates the search index aside and swaps it in.
Anything else (a vocabulary, the schema, the code) means a full build.
See docs/benchmarks.md, "Build performance: design and figures".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from . import publish
from .config import Settings
from .db.models import BuildFile, BuildInfo, Effect, Parameter, Study
from .db.session import make_engine
from .prepared import (
    CODE_ROW,
    RACY_NS,
    SCHEMA_VERSION,
    BuildError,
    Prepared,
    add_study,
    content_hash,
    file_row,
    insert_records,
    pooling_candidates,
    term_rows,
    terms_hash,
    version_of,
    vocabulary_files,
)
from .records.validate import STRAY, Corpus, Problem, check_id, load_study, load_vocabulary
from .search import indexer
from .search.documents import documents
from .services import pooling
from .stats.escalc import EffectSize

_TABLES = {"build_files", "build_info", "studies", "effects", "parameters", "terms"}
_CHUNK = 500  # ids per IN (…) list


def _chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _previous_build(live, code: str) -> dict[str, dict] | None:
    """The last build's ``build_files`` rows by path, or None when there is no usable last build.

    ``code`` is the hash of the build's code now (:func:`evidence.prepared.code_hash`): another means a full build.

    ``live`` is the published :class:`~evidence.versions.Version`; its database
    must hold the index's version (a PostgreSQL build killed between its commit
    and publishing the index does not): otherwise a full build repairs both.
    """
    engine = make_engine(live.database_url, readonly=True)
    try:
        with engine.connect() as conn:
            if not _TABLES <= set(inspect(conn).get_table_names()):
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
class _Scan:
    kept: dict[str, dict]  # unchanged files: their rows as they are
    refreshed: dict[str, dict]  # same bytes, new (size, mtime): new rows, same study
    changed: dict[str, tuple[dict, bytes]]  # new or changed study files: rows and bytes
    removed: list[str]
    names: list[str]  # every study file's name now


def _scan(data_dir: Path, previous: dict[str, dict]) -> _Scan | None:
    """What changed since the last build; None when a full build is needed (vocabulary, stray files)."""
    studies_dir = data_dir / "studies"
    names = sorted(os.listdir(studies_dir)) if studies_dir.is_dir() else []  # as study_paths() finds them
    # a name ending in .yaml is no stray: splitext only the others (at 20k, 20k splitext calls cost 0.1 s)
    if any(os.path.splitext(n)[1] in STRAY for n in names if not n.endswith(".yaml")):
        return None  # the full build reports them
    names = [n for n in names if n.endswith(".yaml")]
    scan = _Scan({}, {}, {}, [], names)
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


class _Stems:
    """``{stem: path}`` of the study files, made on demand (``check_id`` looks up a few)."""

    def __init__(self, folder: Path, names: list[str]):
        self.folder, self.names = folder, set(names)

    def get(self, stem: str, default=None):
        return self.folder / f"{stem}.yaml" if f"{stem}.yaml" in self.names else default


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
    previous = _previous_build(live, code)
    if previous is None:
        return None
    stage.start()
    if stage.database_path is not None:  # the published file is never written: the delta goes into a copy,
        copy = stage.copy_database(live.database_path)  # made while the changes are read and validated
    scan = _scan(data_dir, previous)
    if scan is None:
        stage.abandon()
        return None
    corpus = Corpus()
    load_vocabulary(data_dir / "vocabularies", corpus)
    if corpus.problems:
        stage.abandon()
        return None
    vocab = corpus.vocabulary
    stems = _Stems(data_dir / "studies", scan.names)
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
            delta.parameters, dropped = _repool(conn, vocab, delta, per_study, affected)
            incremental_index = (live.index_dir / indexer.META_FILE).is_file()
            strengths = (_strengths(conn, delta, affected, dropped)
                         if incremental_index and (scan.changed or scan.removed)
                         else None)
            if scan.changed or scan.removed:
                _write_delta(conn, delta, affected, dropped)
            stale = [*scan.changed, *scan.refreshed, *scan.removed]
            for chunk in _chunks(stale):
                conn.execute(BuildFile.__table__.delete().where(BuildFile.path.in_(chunk)))
            rows = [files[rel] for rel in sorted(set(scan.changed) | set(scan.refreshed))]
            if rows:
                conn.execute(insert(BuildFile), rows)
            delta.totals = _totals(conn, corpus)
            conn.execute(BuildInfo.__table__.delete())
            conn.execute(insert(BuildInfo), [{"dataset_version": version, "schema_version": SCHEMA_VERSION,
                                              "built_at": built_at, "counts": delta.totals}])
            publish.trace("delta written")
            if not (scan.changed or scan.removed) and incremental_index:
                indexer.link_index(live.index_dir, stage.index_dir)
            elif strengths is not None:
                _index_delta(conn, live.index_dir, stage.index_dir, corpus, delta, old_ids - new_ids, dropped,
                             strengths)
            else:  # the index cannot be updated in place: a new one from the database as it now is
                indexer.write_index(stage.index_dir, _read_back(conn, corpus, version))
        # committed (SQLite: into the unpublished copy)
    finally:
        engine.dispose()
    stage.publish(version)
    return delta



def _lineage(vocab, target_group: str) -> tuple[str, ...]:
    return (target_group, *vocab.ancestors("target_groups", target_group))


def _repool(conn, vocab, delta: Prepared, per_study: list, affected: set[str]):
    """The touched parameters re-pooled: (new parameter dicts, ids of the rows they replace)."""


    E, S, P = Effect, Study, Parameter
    old = []
    for chunk in _chunks(affected):
        old += conn.execute(select(E.intervention, E.outcome, E.comparison, E.followup, E.target_group)
                            .where(E.study_id.in_(chunk))).all()
    new = [(e["intervention"], e["outcome"], e["comparison"], e["followup"], e["target_group"]) for e in delta.effects]
    touched = {(i, o, c, f, tg) for i, o, c, f, group in [*old, *new] for tg in _lineage(vocab, group)}
    pairs = sorted({(i, o) for i, o, *_ in touched})

    entries = list(per_study)
    cols = (E.study_id, E.key, E.position, E.intervention, E.outcome, E.comparison, E.followup, E.target_group,
            E.sample, E.form, E.measure, E.data, E.yi, E.vi, E.conversions, E.n_participants,
            S.label, S.design, S.risk_of_bias, S.path)
    for i, o in pairs:
        result = conn.execute(select(*cols).join(S, S.id == E.study_id)
                              .where(E.intervention == i, E.outcome == o, E.poolable.is_(True), E.yi.is_not(None)))
        for r in result.mappings():
            if r["study_id"] in affected:
                continue
            if not any((i, o, r["comparison"], r["followup"], tg) in touched
                       for tg in _lineage(vocab, r["target_group"])):
                continue
            size = EffectSize(r["measure"], r["yi"], r["vi"], tuple(r["conversions"]))
            entries.append((r["path"], r["position"],
                            pooling_candidates(r["study_id"], r["label"], r["design"], r["risk_of_bias"], r, size)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))  # the full build's order: by file, then effect
    candidates = [c for _, _, cands in entries for c in cands]
    groups = [g for g in pooling.group(candidates, vocab)
              if (g.key.intervention, g.key.outcome, g.key.comparison, g.key.followup, g.key.target_group) in touched]
    parameters = pooling.pool_all(groups, vocab)

    interventions = sorted({t[0] for t in touched})
    dropped = []
    for chunk in _chunks(interventions):
        for r in conn.execute(select(P.id, P.intervention, P.outcome, P.comparison, P.followup, P.target_group)
                              .where(P.intervention.in_(chunk))):
            if (r.intervention, r.outcome, r.comparison, r.followup, r.target_group) in touched:
                dropped.append(r.id)
    return parameters, dropped


def _write_delta(conn, delta: Prepared, affected: set[str], dropped: list[str]) -> None:
    for chunk in _chunks(affected):
        conn.execute(Effect.__table__.delete().where(Effect.study_id.in_(chunk)))
        conn.execute(Study.__table__.delete().where(Study.id.in_(chunk)))
    for chunk in _chunks(dropped):
        conn.execute(Parameter.__table__.delete().where(Parameter.id.in_(chunk)))
    insert_records(conn, delta)


def _totals(conn, corpus: Corpus) -> dict:

    def count(model):
        return conn.execute(select(func.count()).select_from(model)).scalar_one()

    vocab = corpus.vocabulary.counts()
    return {"studies": count(Study), "effects": count(Effect), "interventions": vocab["interventions"],
            "target_groups": vocab["target_groups"], "outcomes": vocab["outcomes"],
            "comparisons": vocab["comparisons"], "parameters": count(Parameter)}


def _strengths(conn, delta: Prepared, affected: set[str], dropped: list[str]) -> dict[str, tuple[int, list[str]]]:
    """Strength and studies of every parameter that can name a study whose strength may change.

    Those are the studies of the dropped and new parameters; a study's
    parameters are all of its own interventions, so only those are read.
    """
    P, E = Parameter, Effect
    concerned = set(affected)
    for chunk in _chunks(dropped):
        for (studies,) in conn.execute(select(P.studies).where(P.id.in_(chunk))):
            concerned.update(studies)
    for p in delta.parameters:
        concerned.update(p["studies"])
    interventions = {e["intervention"] for e in delta.effects}
    for chunk in _chunks(concerned):
        interventions.update(i for (i,) in conn.execute(select(E.intervention).distinct()
                                                         .where(E.study_id.in_(chunk))))
    out = {}
    for chunk in _chunks(interventions):
        for r in conn.execute(select(P.id, P.strength, P.studies).where(P.intervention.in_(chunk))):
            out[r.id] = (r.strength, r.studies)
    return out


def _highest(params) -> dict[str, int]:
    out: dict[str, int] = {}
    for strength, studies in params:
        for sid in studies:
            out[sid] = max(out.get(sid, 0), strength)
    return out


_DOC_STUDY = ("id", "label", "title", "authors", "et_al", "year", "journal", "publication_type", "doi", "url",
              "abstract", "design", "evidence_level", "country", "setting", "sample_size", "risk_of_bias",
              "summary_da", "summary_en", "source", "source_doi", "path")


def _study_rows(conn, ids=None) -> tuple[list[dict], list[dict]]:
    """Studies (without their records) and their effects from the database, in the full build's order."""

    studies, effects = [], []
    cols = [Study.__table__.c[c] for c in _DOC_STUDY]
    effect_cols = [c for c in Effect.__table__.c if c.name != "id"]
    chunks = [None] if ids is None else _chunks(ids)
    for chunk in chunks:
        q = select(*cols).order_by(Study.path)
        e = select(*effect_cols).order_by(Effect.study_id, Effect.position)
        if chunk is not None:
            q, e = q.where(Study.id.in_(chunk)), e.where(Effect.study_id.in_(chunk))
        studies += [dict(r) for r in conn.execute(q).mappings()]
        effects += [dict(r) for r in conn.execute(e).mappings()]
    return studies, effects


def _index_delta(conn, live: Path, aside: Path, corpus, delta: Prepared, deleted: set[str], dropped: list[str],
                 before: dict[str, tuple[int, list[str]]]) -> None:
    """The index with the changed studies' documents, and those whose strength changed, replaced."""

    after = {pid: v for pid, v in before.items()}
    for pid in dropped:
        after.pop(pid, None)
    for p in delta.parameters:
        after[p["id"]] = (p["strength"], p["studies"])
    concerned = {sid for pid in dropped for sid in before.get(pid, (0, []))[1]} | {sid for p in delta.parameters
                                                                     for sid in p["studies"]}
    old, new = _highest(before.values()), _highest(after.values())
    new_ids = {s["id"] for s in delta.studies}
    others = sorted(sid for sid in concerned - new_ids - deleted if old.get(sid, 0) != new.get(sid, 0))
    studies, effects = _study_rows(conn, others) if others else ([], [])
    upsert = Prepared(corpus, delta.dataset_version, studies=[*delta.studies, *studies],
                      effects=[*delta.effects, *effects], terms=term_rows(corpus))
    upsert.parameters = [{"studies": [s["id"]], "strength": new.get(s["id"], 0)} for s in upsert.studies]
    indexer.update_index(live, aside, documents(upsert), sorted(deleted), dataset_version=delta.dataset_version)


def _read_back(conn, corpus: Corpus, version: str) -> Prepared:
    """The whole dataset as the database now holds it, for a full index (what ``documents`` reads)."""

    studies, effects = _study_rows(conn)
    parameters = [{"studies": r.studies, "strength": r.strength}
                  for r in conn.execute(select(Parameter.strength, Parameter.studies))]
    return Prepared(corpus, version, studies=studies, effects=effects, parameters=parameters, terms=term_rows(corpus))
