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

from . import publish
from .config import Settings
from .constants import Z
from .db.models import Base, BuildFile, BuildInfo, Effect, Parameter, Study, Term
from .db.session import make_engine
from .records.followup import followup_window
from .records.validate import Corpus, Problem, display_path, load_corpus
from .records.vocabulary import KINDS
from .search import indexer
from .services import effects as effect_sizes
from .services import pooling
from .stats.escalc import EffectSizeError
from .stats.strength import SOM_LEVELS

SCHEMA_VERSION = "2"  # 2: terms carry their SØM `areas`


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


#: The code whose output the database and the index hold: a change to any of it means a full build, not an
#: incremental one (the index's analysers and file format included: an update rewrites the live index's files).
CODE = ("build.py", "incremental.py", "records", "services", "stats", "search/documents.py", "search/analysis.py",
        "search/schema.py", "search/store.py")
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
                        "default_measure": t.default_measure, "needs_curation": t.needs_curation,
                        "areas": list(t.areas)})
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
            "direction": effect_sizes.direction(size.yi, Z * size.vi ** 0.5, outcome.desirable)
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
    insert_records(connection, prepared)
    if prepared.files:
        connection.execute(insert(BuildFile), prepared.files)
    connection.execute(insert(BuildInfo), [{"dataset_version": prepared.dataset_version,
                                            "schema_version": SCHEMA_VERSION, "built_at": built_at,
                                            "counts": prepared.counts()}])


def insert_records(connection, prepared: Prepared) -> None:
    """Insert the studies, effects and parameters of ``prepared`` (a full build's, or a delta)."""
    if prepared.studies:
        connection.execute(insert(Study), prepared.studies)
    if prepared.effects:
        connection.execute(insert(Effect), prepared.effects)
    if prepared.parameters:
        connection.execute(insert(Parameter), [_parameter_row(p) for p in prepared.parameters])


def _parameter_row(p: dict) -> dict:
    cols = ("id", "intervention", "target_group", "outcome", "comparison", "followup", "measure", "method",
            "test", "k", "estimate", "se", "ci_low", "ci_high", "pval", "tau2", "i2", "n_participants",
            "evidence_level", "strength", "direction", "studies", "rollup")
    return {**{c: p[c] for c in cols}, "result": p}


def write_database(settings: Settings, prepared: Prepared, built_at: str, database_url: str | None = None) -> None:
    """Fill the database at ``database_url`` (default: the settings') with ``prepared``: all of it, or nothing.

    SQLite: a new file (the build's unpublished folder, see :mod:`evidence.publish`).
    Any other database: one transaction that drops and refills every table.
    """
    url = database_url or settings.database_url
    engine = make_engine(url)
    try:
        with engine.begin() as connection:  # PostgreSQL's DDL is transactional: all or nothing
            if not url.startswith("sqlite"):
                _empty(connection)
            _fill(connection, prepared, built_at)
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
    from sqlalchemy import inspect

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
    was, and the next build clears what it left.
    """
    built_at = built_at or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    with publish.staging(settings) as stage:
        if incremental:
            from .incremental import build_incremental  # imports build: loaded only when used

            done = build_incremental(settings, built_at, stage)
            if done is not None:
                return done
        prepared = prepare(settings.data_dir, track)
        stage.start()
        publish.trace("prepared")
        indexer.write_index(stage.index_dir, prepared)  # complete before the database is touched
        publish.trace("indexed")
        write_database(settings, prepared, built_at, stage.database_url)
        stage.publish(prepared.dataset_version)
    return prepared
