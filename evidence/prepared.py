"""What a build computes from ``data/``: the rows, their hashes and the dataset version.

Shared by the full build (:mod:`evidence.build`) and the incremental one
(:mod:`evidence.incremental`), which both import it and not each other.
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert

from .constants import Z
from .db.models import Effect, Parameter, Study
from .db.session import EncodedJSON
from .records.followup import followup_window
from .records.validate import Corpus, Problem, display_path
from .records.vocabulary import KINDS
from .services import effects as effect_sizes
from .services.groups import Row
from .services.packed import SUMMARY_FIELDS, PackedResults, parameter_row
from .stats.escalc import EffectSizeError
from .stats.strength import SOM_LEVELS

SCHEMA_VERSION = "2"  # 2: terms carry their SØM `areas`


class BuildError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Prepared:
    corpus: Corpus  # a full build's: its vocabulary (the studies are dropped once they are rows, to save memory)
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
    return version_of(terms_hash(corpus), [(r.data["id"], content_hash(jsonable(r.data))) for r in corpus.studies])


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


def file_row(data_dir: Path, path: Path, st=None, checked: int | None = None) -> tuple[dict, bytes]:
    """A ``build_files`` row for ``path`` (stat first, then read: a change after the stat shows next time)."""
    checked = checked or time.time_ns()
    st = st or os.stat(path)
    content = path.read_bytes()
    return ({"path": path.relative_to(data_dir).as_posix(), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
             "sha256": hashlib.sha256(content).hexdigest(), "study_id": None, "content_hash": None,
             "checked_ns": checked}, content)


#: The code whose output the database and the index hold: a change to any of it means a full build, not an
#: incremental one (the index's analysers and everything that shapes its files included: an update writes a delta
#: that must read with the base).
CODE = ("build.py", "incremental.py", "changes.py", "repool.py", "reindex.py", "prepared.py", "constants.py",
        "arrays.py", "npy.py", "outputs.py", "db", "records", "services", "stats", "search/documents.py",
        "search/analysis.py", "search/schema.py", "search/store.py", "search/writing.py", "search/facets.py",
        "search/indexer.py")
CODE_ROW = ":code"  # the build_files row that holds the code's hash


def code_hash() -> str:
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    for name in CODE:
        path = root / name
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def code_row() -> dict:
    return {"path": CODE_ROW, "size": 0, "mtime_ns": 0, "sha256": code_hash(), "study_id": None,
            "content_hash": None, "checked_ns": 0}


def vocabulary_files(data_dir: Path) -> list[Path]:
    return [data_dir / "vocabularies" / f"{kind}.yaml" for kind in KINDS]


def term_rows(corpus: Corpus) -> list[dict]:
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


def add_study(record, data_dir, vocab, prepared, candidates, problems) -> None:
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
        "path": record.path.relative_to(data_dir).as_posix(), "record": jsonable(d),
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
        candidates.extend(pooling_candidates(d["id"], label, design["type"], design.get("risk_of_bias") or "unclear",
                                      prepared.effects[-1], size))


def pooling_candidates(study_id: str, label: str, design: str, risk_of_bias: str, e: dict, size) -> list[tuple]:
    """Pooling candidates of one poolable effect (an ``effects`` row), its own measure (``size``) first."""
    out = []
    arm = effect_sizes.control_arm(e["form"], e["data"])
    for measure in effect_sizes.measures_for(e["form"], e["measure"], e["data"]):
        try:
            s = size if measure == e["measure"] else effect_sizes.compute(e["form"], measure, e["data"])
        except EffectSizeError:
            continue  # another measure the data cannot give (e.g. a ratio of negative means)
        row = Row(
            study=study_id, label=label, effect=e["key"], sample=e["sample"], target_group=e["target_group"],
            design=design, risk_of_bias=risk_of_bias, yi=s.yi, vi=s.vi,
            n_participants=e["n_participants"], control_events=arm[0] if arm else None,
            control_n=arm[1] if arm else None, conversions=tuple(s.conversions))
        out.append((e["intervention"], e["outcome"], e["comparison"], e["followup"], measure, row))
    return out


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


#: Rows per INSERT: SQLAlchemy makes every row's bound values (the parameters' JSON text) before it
#: sends a statement, so one statement of a full build's rows would hold all that text at once.
INSERT_CHUNK = 2_000


def insert_records(connection, prepared: Prepared) -> None:
    """Insert the studies, effects and parameters of ``prepared`` (a full build's, or a delta)."""
    for model, rows in ((Study, prepared.studies), (Effect, prepared.effects)):
        for start in range(0, len(rows), INSERT_CHUNK):
            connection.execute(insert(model), rows[start:start + INSERT_CHUNK])
    parameters = prepared.parameters
    for start in range(0, len(parameters), INSERT_CHUNK):
        if isinstance(parameters, PackedResults):  # a full build's: each result's JSON as the workers encoded it
            rows = parameters.rows(start, start + INSERT_CHUNK)
            for r in rows:
                r["result"] = EncodedJSON(r["result"])
        else:
            rows = [parameter_row(p) for p in parameters[start:start + INSERT_CHUNK]]
        connection.execute(insert(Parameter), rows)


def release_rows(prepared: Prepared) -> None:
    """Once ``prepared``'s rows are in the database, drop what the search index does not read: each
    study's ``record`` and each parameter's result but its id, studies and strength (at 20k the
    pooled results alone are about 270 MB)."""
    for study in prepared.studies:
        study.pop("record", None)
    if isinstance(prepared.parameters, PackedResults):  # a full build's: the summaries without unpickling
        prepared.parameters = prepared.parameters.summaries()
    else:
        prepared.parameters = [{f: p[f] for f in SUMMARY_FIELDS} for p in prepared.parameters]
    return_free_memory()


def return_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    The records and results just let go are scattered through the heap, which ``free`` keeps, and the
    search index's arrays are allocated beside it, not in it: without this the build's peak counts both
    (at 20k about 110 MB of the 800 MB after ``release_rows``)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
