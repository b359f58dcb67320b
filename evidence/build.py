"""``evidence build``: validate, compute, and load everything, all or nothing.

The build reads ``data/``, computes every effect size and pooled parameter,
and writes a new database beside the old one (SQLite) or in one transaction
(any other database), so a failed or interrupted build leaves the previous
database exactly as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert

from .config import Settings
from .db.models import Base, BuildFile, BuildInfo, Effect, Parameter, Study, Term
from .db.session import make_engine
from .records.followup import followup_window
from .records.validate import STRAY, Corpus, Problem, display_path, load_corpus
from .records.vocabulary import KINDS
from .search import indexer
from .services import effects as effect_sizes
from .services import pooling
from .stats.escalc import EffectSizeError
from .stats.strength import SOM_LEVELS

SCHEMA_VERSION = "1"


class BuildError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Prepared:
    corpus: Corpus
    dataset_version: str
    studies: list[dict] = field(default_factory=list)
    effects: list[dict] = field(default_factory=list)
    parameters: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)  # build_files rows
    totals: dict | None = None  # an incremental build's counts (its lists hold only what changed)
    incremental: bool = False

    def counts(self) -> dict:
        if self.totals is not None:
            return dict(self.totals)
        vocab = self.corpus.vocabulary.counts()
        return {"studies": len(self.studies), "effects": len(self.effects),
                "interventions": vocab["interventions"], "target_groups": vocab["target_groups"],
                "outcomes": vocab["outcomes"], "comparisons": vocab["comparisons"],
                "parameters": len(self.parameters)}


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(record: dict) -> str:
    """The hash of one validated record (``_jsonable`` of what the schema loaded)."""
    return hashlib.sha256(_canonical(record).encode()).hexdigest()


def terms_hash(corpus: Corpus) -> str:
    terms = sorted((dataclasses.asdict(t) for terms in corpus.vocabulary.terms.values() for t in terms.values()),
                   key=lambda t: (t["kind"], t["slug"]))
    return hashlib.sha256(_canonical(terms).encode()).hexdigest()


def version_of(terms: str, studies) -> str:
    """The dataset version from the terms' hash and ``(study id, content hash)`` pairs."""
    content = {"schema": SCHEMA_VERSION, "terms": terms, "studies": sorted(studies)}
    return hashlib.sha256(_canonical(content).encode()).hexdigest()[:16]


def dataset_version(corpus: Corpus) -> str:
    """A hash of the validated content (every term and study record) and the schema version.

    It hashes what was read, not the files' bytes: a comment, a reordering or
    a change of white space is no change of data and keeps the version. It is
    made of one hash per study record, so an incremental build computes it
    from the stored hashes of the records it did not read.
    """
    return version_of(terms_hash(corpus), [(r.data["id"], content_hash(_jsonable(r.data))) for r in corpus.studies])


def study_label(citation: dict) -> str:
    authors = citation.get("authors") or []
    if authors:
        names = " & ".join(authors) if len(authors) <= 2 and not citation.get("et_al") else f"{authors[0]} et al."
    else:
        names = citation.get("label") or citation.get("title") or "?"
    return f"{names} ({citation['year']})" if citation.get("year") else names


#: A file modified this close to when a build looked at it may change again within the same
#: timestamp tick unseen, so the next build hashes it rather than trusting (size, mtime).
RACY_NS = 2_000_000_000


def _file_row(data_dir: Path, path: Path, st=None, checked: int | None = None) -> tuple[dict, bytes]:
    """A ``build_files`` row for ``path`` (stat first, then read: a change after the stat shows next time)."""
    checked = checked or time.time_ns()
    st = st or os.stat(path)
    content = path.read_bytes()
    return ({"path": path.relative_to(data_dir).as_posix(), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
             "sha256": hashlib.sha256(content).hexdigest(), "study_id": None, "content_hash": None,
             "checked_ns": checked}, content)


#: The code whose output the database holds: a change to any of it means a full build, not an incremental one.
CODE = ("build.py", "records", "services", "stats", "search/documents.py")
CODE_ROW = ":code"  # the build_files row that holds the code's hash


def code_hash() -> str:
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    for name in CODE:
        path = root / name
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def _code_row() -> dict:
    return {"path": CODE_ROW, "size": 0, "mtime_ns": 0, "sha256": code_hash(), "study_id": None,
            "content_hash": None, "checked_ns": 0}


def _vocabulary_files(data_dir: Path) -> list[Path]:
    return [data_dir / "vocabularies" / f"{kind}.yaml" for kind in KINDS]


def prepare(data_dir: Path, track=None) -> Prepared:
    """Validate and compute everything in memory; raise BuildError listing every problem."""
    track = track or (lambda items, label: nullcontext(items))
    files: dict[str, dict] = {}
    for path in _vocabulary_files(data_dir):
        if path.is_file():
            row, _ = _file_row(data_dir, path)
            files[row["path"]] = row

    def read(path: Path) -> bytes:
        row, content = _file_row(data_dir, path)
        files[row["path"]] = row
        return content

    corpus = load_corpus(data_dir, read=read)
    if corpus.problems:
        raise BuildError(corpus.problems)
    vocab = corpus.vocabulary
    prepared = Prepared(corpus, "")
    prepared.terms = _terms(corpus)
    candidates, problems = [], []
    with track(corpus.studies, "Computing effect sizes") as studies:
        for record in studies:
            _study(record, data_dir, vocab, prepared, candidates, problems)
    if problems:
        raise BuildError(problems)
    for study in prepared.studies:
        row = files[study["path"]]
        row["study_id"], row["content_hash"] = study["id"], content_hash(study["record"])
    files[CODE_ROW] = _code_row()
    prepared.files = [files[p] for p in sorted(files)]
    prepared.dataset_version = version_of(terms_hash(corpus), [(s["id"], files[s["path"]]["content_hash"])
                                                              for s in prepared.studies])
    groups = pooling.group(candidates, vocab)
    prepared.parameters = pooling.pool_all(groups, vocab, track=track)
    return prepared


def _terms(corpus: Corpus) -> list[dict]:
    vocab = corpus.vocabulary
    out = []
    for kind, terms in vocab.terms.items():
        for t in terms.values():
            lineage = [*reversed(vocab.ancestors(kind, t.slug)), t.slug]
            out.append({"kind": kind, "slug": t.slug, "label_da": t.label_da, "label_en": t.label_en,
                        "parent": t.parent, "path": "/".join(lineage), "depth": len(lineage) - 1,
                        "synonyms_da": list(t.synonyms_da), "synonyms_en": list(t.synonyms_en),
                        "description_da": t.description_da, "description_en": t.description_en,
                        "outcome_type": t.outcome_type, "desirable": t.desirable,
                        "default_measure": t.default_measure, "needs_curation": t.needs_curation})
    return out


def _study(record, data_dir, vocab, prepared, candidates, problems) -> None:
    d = record.data
    c, design, prov = d["citation"], d["design"], d["provenance"]
    label = study_label(c)
    prepared.studies.append({
        "id": d["id"], "label": label, "title": c.get("title"), "authors": c.get("authors") or [],
        "et_al": c.get("et_al", False), "year": c.get("year"), "journal": c.get("journal"),
        "publication_type": c.get("publication_type"), "doi": c.get("doi"), "url": c.get("url"),
        "abstract": c.get("abstract"), "design": design["type"],
        "evidence_level": SOM_LEVELS[design["type"]], "country": design.get("country"),
        "setting": design.get("setting"), "sample_size": design.get("sample_size"),
        "risk_of_bias": design.get("risk_of_bias") or "unclear",
        "summary_da": (d.get("summary") or {}).get("da"), "summary_en": (d.get("summary") or {}).get("en"),
        "source": prov["source"], "source_doi": prov.get("source_doi"),
        "path": record.path.relative_to(data_dir).as_posix(), "record": _jsonable(d),
    })
    for i, e in enumerate(d["effects"]):
        where = f"effects.{i}.data"
        try:
            size = effect_sizes.compute(e["form"], e["measure"], e["data"])
        except EffectSizeError as exc:
            problems.append(Problem(display_path(record.path), where, str(exc)))
            continue
        window = followup_window(e.get("followup_months"))
        n = effect_sizes.participants(e["form"], e["data"])
        if n is None and len(d["effects"]) == 1:
            n = design.get("sample_size")
        outcome = vocab.get("outcomes", e["outcome"])
        prepared.effects.append({
            "study_id": d["id"], "key": e["id"], "position": i, "intervention": e["intervention"],
            "comparison": e.get("comparison"), "target_group": e["target_group"], "outcome": e["outcome"],
            "outcome_detail": e.get("outcome_detail"), "followup_months": e.get("followup_months"),
            "followup": window, "sample": e["sample"], "form": e["form"], "measure": e["measure"],
            "data": {k: v for k, v in e["data"].items() if v is not None}, "poolable": e["poolable"],
            "not_poolable_reason": e.get("not_poolable_reason"), "location": e.get("location"),
            "notes": e.get("notes"), "yi": size.yi if size else None, "vi": size.vi if size else None,
            "conversions": list(size.conversions) if size else [], "n_participants": n,
            "direction": effect_sizes.direction(size.yi, 1.959963984540054 * size.vi ** 0.5, outcome.desirable)
            if size else None,
        })
        if not (size and e["poolable"]):
            continue
        candidates.extend(_candidates(d["id"], label, design["type"], design.get("risk_of_bias") or "unclear",
                                      prepared.effects[-1], size))


def _candidates(study_id: str, label: str, design: str, risk_of_bias: str, e: dict, size) -> list[tuple]:
    """Pooling candidates of one poolable effect (an ``effects`` row), its own measure (``size``) first."""
    out = []
    arm = effect_sizes.control_arm(e["form"], e["data"])
    for measure in effect_sizes.measures_for(e["form"], e["measure"], e["data"]):
        try:
            s = size if measure == e["measure"] else effect_sizes.compute(e["form"], measure, e["data"])
        except EffectSizeError:
            continue  # another measure the data cannot give (e.g. a ratio of negative means)
        row = pooling.Row(
            study=study_id, label=label, effect=e["key"], sample=e["sample"], target_group=e["target_group"],
            design=design, risk_of_bias=risk_of_bias, yi=s.yi, vi=s.vi,
            n_participants=e["n_participants"], control_events=arm[0] if arm else None,
            control_n=arm[1] if arm else None, conversions=tuple(s.conversions))
        out.append((e["intervention"], e["outcome"], e["comparison"], e["followup"], measure, row))
    return out


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _fill(connection, prepared: Prepared, built_at: str) -> None:
    Base.metadata.create_all(connection)
    if prepared.terms:
        connection.execute(insert(Term), prepared.terms)
    if prepared.studies:
        connection.execute(insert(Study), prepared.studies)
    if prepared.effects:
        connection.execute(insert(Effect), prepared.effects)
    if prepared.parameters:
        connection.execute(insert(Parameter), [_parameter_row(p) for p in prepared.parameters])
    if prepared.files:
        connection.execute(insert(BuildFile), prepared.files)
    connection.execute(insert(BuildInfo), [{"dataset_version": prepared.dataset_version,
                                            "schema_version": SCHEMA_VERSION, "built_at": built_at,
                                            "counts": prepared.counts()}])


def _parameter_row(p: dict) -> dict:
    cols = ("id", "intervention", "target_group", "outcome", "comparison", "followup", "measure", "method",
            "test", "k", "estimate", "se", "ci_low", "ci_high", "pval", "tau2", "i2", "n_participants",
            "evidence_level", "strength", "direction", "studies", "rollup")
    return {**{c: p[c] for c in cols}, "result": p}


def write_database(settings: Settings, prepared: Prepared, built_at: str) -> None:
    """Replace the database with ``prepared``: all of it, or nothing."""
    path = settings.sqlite_path
    if path is None:
        engine = make_engine(settings.database_url)
        try:
            with engine.begin() as connection:  # PostgreSQL's DDL is transactional: all or nothing
                Base.metadata.drop_all(connection)
                _fill(connection, prepared, built_at)
        finally:
            engine.dispose()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.building-{os.getpid()}")
    aside.unlink(missing_ok=True)
    try:
        engine = make_engine(f"sqlite:///{aside}")
        try:
            with engine.begin() as connection:
                _fill(connection, prepared, built_at)
        finally:
            engine.dispose()
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def build(settings: Settings, track=None, built_at: str | None = None, incremental: bool = False) -> Prepared:
    """Build the database and the index from ``settings.data_dir``: all of it, or nothing.

    ``incremental``: when the last build's files are known (``build_files``)
    and only study records changed, redo only what those changes touch
    (:func:`build_incremental`); otherwise, or when it cannot, a full build.
    """
    built_at = built_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    if incremental:
        done = build_incremental(settings, built_at)
        if done is not None:
            return done
    prepared = prepare(settings.data_dir, track)
    aside = indexer.build_aside(settings, prepared)  # the search index, complete before anything is replaced
    try:
        write_database(settings, prepared, built_at)
    except BaseException:
        indexer.discard(aside)
        raise
    indexer.swap(settings, aside)
    return prepared


# --- the incremental build -------------------------------------------------------------------------------

_TABLES = {"build_files", "build_info", "studies", "effects", "parameters", "terms"}
_CHUNK = 500  # ids per IN (…) list


def _chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _previous_build(settings: Settings) -> dict[str, dict] | None:
    """The last build's ``build_files`` rows by path, or None when there is no usable last build."""
    from sqlalchemy import inspect, select
    from sqlalchemy.exc import SQLAlchemyError

    if settings.sqlite_path is not None and not settings.sqlite_path.is_file():
        return None
    engine = make_engine(settings.database_url, readonly=True)
    try:
        with engine.connect() as conn:
            if not _TABLES <= set(inspect(conn).get_table_names()):
                return None
            infos = conn.execute(select(BuildInfo.schema_version)).all()
            if len(infos) != 1 or infos[0].schema_version != SCHEMA_VERSION:
                return None
            names = [c.name for c in BuildFile.__table__.c]
            result = conn.exec_driver_sql(f"SELECT {', '.join(names)} FROM build_files")  # plain rows: fast
            files = {r[0]: dict(zip(names, r)) for r in result}
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    code = files.pop(CODE_ROW, None)
    if code is None or code["sha256"] != code_hash():
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
    if any(os.path.splitext(n)[1] in STRAY for n in names):
        return None  # the full build reports them
    names = [n for n in names if n.endswith(".yaml")]
    scan = _Scan({}, {}, {}, [], names)
    vocabularies = [f"vocabularies/{p.name}" for p in _vocabulary_files(data_dir)]
    base = str(data_dir)
    for rel in [*vocabularies, *(f"studies/{n}" for n in names)]:
        prev = previous.get(rel)
        checked = time.time_ns()
        try:
            st = os.stat(os.path.join(base, rel))
        except FileNotFoundError:
            return None
        if (prev is not None and prev["size"] == st.st_size and prev["mtime_ns"] == st.st_mtime_ns
                and st.st_mtime_ns < prev["checked_ns"] - RACY_NS):
            scan.kept[rel] = prev
            continue
        row, content = _file_row(data_dir, data_dir / rel, st=st, checked=checked)
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


def build_incremental(settings: Settings, built_at: str) -> Prepared | None:
    """Apply what changed in the study records since the last build; None if a full build is needed.

    Validates the new and changed records only (the other records passed the
    last build with the same vocabulary; file names make ids unique);
    recomputes their effects; re-pools the parameters their effects belong to
    before and after the change (their keys at their target groups and every
    ancestor), reading the other rows of those parameters from the database;
    and writes the delta in one transaction. Raises BuildError, having written
    nothing, if a changed record has a problem. The result's lists hold what
    was rewritten; its ``totals`` are the whole dataset's counts.
    """
    from .records.validate import check_id, load_study, load_vocabulary

    data_dir = settings.data_dir
    if not data_dir.is_dir():
        return None
    previous = _previous_build(settings)
    if previous is None:
        return None
    scan = _scan(data_dir, previous)
    if scan is None:
        return None
    corpus = Corpus()
    load_vocabulary(data_dir / "vocabularies", corpus)
    if corpus.problems:
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
        _study(record, data_dir, vocab, delta, cands, problems)
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

    engine = make_engine(settings.database_url)
    aside = None
    try:
        with engine.begin() as conn:
            delta.parameters, dropped = _repool(conn, vocab, delta, per_study, affected)
            live = Path(os.path.realpath(settings.index_dir))
            incremental_index = hasattr(indexer, "update_aside") and (live / indexer.META_FILE).is_file()
            strengths = (_strengths(conn, delta, affected, dropped) if incremental_index and (scan.changed or scan.removed)
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
            if scan.changed or scan.removed:
                if strengths is not None:
                    aside = _index_delta(conn, settings, corpus, delta, old_ids - new_ids, dropped, strengths)
                else:  # the index cannot be updated in place: a new one from the database as it now is
                    aside = indexer.build_aside(settings, _read_back(conn, corpus, version))
        # committed
    except BaseException:
        if aside is not None:
            indexer.discard(aside)
        raise
    finally:
        engine.dispose()
    if aside is not None:
        indexer.swap(settings, aside)
    return delta


def _lineage(vocab, target_group: str) -> tuple[str, ...]:
    return (target_group, *vocab.ancestors("target_groups", target_group))


def _repool(conn, vocab, delta: Prepared, per_study: list, affected: set[str]):
    """The touched parameters re-pooled: (new parameter dicts, ids of the rows they replace)."""
    from sqlalchemy import select

    from .stats.escalc import EffectSize

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
                            _candidates(r["study_id"], r["label"], r["design"], r["risk_of_bias"], r, size)))
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
    if delta.studies:
        conn.execute(insert(Study), delta.studies)
    if delta.effects:
        conn.execute(insert(Effect), delta.effects)
    if delta.parameters:
        conn.execute(insert(Parameter), [_parameter_row(p) for p in delta.parameters])


def _totals(conn, corpus: Corpus) -> dict:
    from sqlalchemy import func, select

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
    from sqlalchemy import select

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
    from sqlalchemy import select

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


def _index_delta(conn, settings, corpus, delta: Prepared, deleted: set[str], dropped: list[str],
                 before: dict[str, tuple[int, list[str]]]) -> Path:
    """The index with the changed studies' documents, and those whose strength changed, replaced."""
    from .search.documents import documents

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
                      effects=[*delta.effects, *effects], terms=_terms(corpus))
    upsert.parameters = [{"studies": [s["id"]], "strength": new.get(s["id"], 0)} for s in upsert.studies]
    return indexer.update_aside(settings, documents(upsert), sorted(deleted), dataset_version=delta.dataset_version)


def _read_back(conn, corpus: Corpus, version: str) -> Prepared:
    """The whole dataset as the database now holds it, for a full index (what ``documents`` reads)."""
    from sqlalchemy import select

    studies, effects = _study_rows(conn)
    parameters = [{"studies": r.studies, "strength": r.strength}
                  for r in conn.execute(select(Parameter.strength, Parameter.studies))]
    return Prepared(corpus, version, studies=studies, effects=effects, parameters=parameters, terms=_terms(corpus))
