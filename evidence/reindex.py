"""The search index side of an incremental build: which documents change, and the index update.

A study's document carries the highest strength of the parameters it is in, so besides the changed
studies, those whose highest strength the re-pooling changed are written again. Part of the
incremental build (:mod:`evidence.incremental`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from .db.models import Effect, Parameter, Study
from .prepared import Prepared, term_rows
from .records.validate import Corpus
from .repool import chunks
from .search import indexer
from .search.documents import documents


def strengths(conn, delta: Prepared, affected: set[str], dropped: list[str]) -> dict[str, tuple[int, list[str]]]:
    """Strength and studies of every parameter that can name a study whose strength may change.

    Those are the studies of the dropped and new parameters; a study's
    parameters are all of its own interventions, so only those are read.
    """
    P, E = Parameter, Effect
    concerned = set(affected)
    for chunk in chunks(dropped):
        for (studies,) in conn.execute(select(P.studies).where(P.id.in_(chunk))):
            concerned.update(studies)
    for p in delta.parameters:
        concerned.update(p["studies"])
    interventions = {e["intervention"] for e in delta.effects}
    for chunk in chunks(concerned):
        interventions.update(i for (i,) in conn.execute(select(E.intervention).distinct()
                                                         .where(E.study_id.in_(chunk))))
    out = {}
    for chunk in chunks(interventions):
        for r in conn.execute(select(P.id, P.strength, P.studies).where(P.intervention.in_(chunk))):
            out[r.id] = (r.strength, r.studies)
    return out


def highest(params) -> dict[str, int]:
    out: dict[str, int] = {}
    for strength, studies in params:
        for sid in studies:
            out[sid] = max(out.get(sid, 0), strength)
    return out


DOC_STUDY = ("id", "label", "title", "authors", "et_al", "year", "journal", "publication_type", "doi", "url",
              "abstract", "design", "evidence_level", "country", "setting", "sample_size", "risk_of_bias",
              "summary_da", "summary_en", "source", "source_doi", "path")


def study_rows(conn, ids=None) -> tuple[list[dict], list[dict]]:
    """Studies (without their records) and their effects from the database, in the full build's order."""

    studies, effects = [], []
    cols = [Study.__table__.c[c] for c in DOC_STUDY]
    effect_cols = [c for c in Effect.__table__.c if c.name != "id"]
    batches = [None] if ids is None else chunks(ids)
    for chunk in batches:
        q = select(*cols).order_by(Study.path)
        e = select(*effect_cols).order_by(Effect.study_id, Effect.position)
        if chunk is not None:
            q, e = q.where(Study.id.in_(chunk)), e.where(Effect.study_id.in_(chunk))
        studies += [dict(r) for r in conn.execute(q).mappings()]
        effects += [dict(r) for r in conn.execute(e).mappings()]
    return studies, effects


def index_delta(conn, live: Path, aside: Path, corpus, delta: Prepared, deleted: set[str], dropped: list[str],
                 before: dict[str, tuple[int, list[str]]]) -> None:
    """The index with the changed studies' documents, and those whose strength changed, replaced."""

    after = {pid: v for pid, v in before.items()}
    for pid in dropped:
        after.pop(pid, None)
    for p in delta.parameters:
        after[p["id"]] = (p["strength"], p["studies"])
    concerned = {sid for pid in dropped for sid in before.get(pid, (0, []))[1]} | {sid for p in delta.parameters
                                                                     for sid in p["studies"]}
    old, new = highest(before.values()), highest(after.values())
    new_ids = {s["id"] for s in delta.studies}
    others = sorted(sid for sid in concerned - new_ids - deleted if old.get(sid, 0) != new.get(sid, 0))
    studies, effects = study_rows(conn, others) if others else ([], [])
    upsert = Prepared(corpus, delta.dataset_version, studies=[*delta.studies, *studies],
                      effects=[*delta.effects, *effects], terms=term_rows(corpus))
    upsert.parameters = [{"studies": [s["id"]], "strength": new.get(s["id"], 0)} for s in upsert.studies]
    indexer.update_index(live, aside, documents(upsert), sorted(deleted), dataset_version=delta.dataset_version)


def read_back(conn, corpus: Corpus, version: str) -> Prepared:
    """The whole dataset as the database now holds it, for a full index (what ``documents`` reads)."""

    studies, effects = study_rows(conn)
    parameters = [{"studies": r.studies, "strength": r.strength}
                  for r in conn.execute(select(Parameter.strength, Parameter.studies))]
    return Prepared(corpus, version, studies=studies, effects=effects, parameters=parameters, terms=term_rows(corpus))
