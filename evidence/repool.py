"""The database side of an incremental build: re-pool the touched parameters and write the delta.

Part of the incremental build (:mod:`evidence.incremental`), inside its one transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select

from .db.models import Effect, Parameter, Study
from .prepared import Prepared, insert_records, pooling_candidates
from .records.validate import Corpus
from .services import pooling
from .services.groups import group
from .stats.escalc import EffectSize

CHUNK = 500  # ids per IN (…) list


def chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def lineage(vocab, target_group: str) -> tuple[str, ...]:
    return (target_group, *vocab.ancestors("target_groups", target_group))


def repool(conn, vocab, delta: Prepared, per_study: list, affected: set[str]):
    """The touched parameters re-pooled: (new parameter dicts, ids of the rows they replace)."""


    E, S, P = Effect, Study, Parameter
    old = []
    for chunk in chunks(affected):
        old += conn.execute(select(E.intervention, E.outcome, E.comparison, E.followup, E.target_group)
                            .where(E.study_id.in_(chunk))).all()
    new = [(e["intervention"], e["outcome"], e["comparison"], e["followup"], e["target_group"]) for e in delta.effects]
    touched = {(i, o, c, f, tg) for i, o, c, f, group in [*old, *new] for tg in lineage(vocab, group)}
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
                       for tg in lineage(vocab, r["target_group"])):
                continue
            size = EffectSize(r["measure"], r["yi"], r["vi"], tuple(r["conversions"]))
            entries.append((r["path"], r["position"],
                            pooling_candidates(r["study_id"], r["label"], r["design"], r["risk_of_bias"], r, size)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))  # the full build's order: by file, then effect
    candidates = [c for _, _, cands in entries for c in cands]
    groups = [g for g in group(candidates, vocab)
              if (g.key.intervention, g.key.outcome, g.key.comparison, g.key.followup, g.key.target_group) in touched]
    parameters = pooling.pool_all(groups, vocab)

    interventions = sorted({t[0] for t in touched})
    dropped = []
    for chunk in chunks(interventions):
        for r in conn.execute(select(P.id, P.intervention, P.outcome, P.comparison, P.followup, P.target_group)
                              .where(P.intervention.in_(chunk))):
            if (r.intervention, r.outcome, r.comparison, r.followup, r.target_group) in touched:
                dropped.append(r.id)
    return parameters, dropped


def write_delta(conn, delta: Prepared, affected: set[str], dropped: list[str]) -> None:
    for chunk in chunks(affected):
        conn.execute(Effect.__table__.delete().where(Effect.study_id.in_(chunk)))
        conn.execute(Study.__table__.delete().where(Study.id.in_(chunk)))
    for chunk in chunks(dropped):
        conn.execute(Parameter.__table__.delete().where(Parameter.id.in_(chunk)))
    insert_records(conn, delta)


def totals(conn, corpus: Corpus) -> dict:

    def count(model):
        return conn.execute(select(func.count()).select_from(model)).scalar_one()

    vocab = corpus.vocabulary.counts()
    return {"studies": count(Study), "effects": count(Effect), "interventions": vocab["interventions"],
            "target_groups": vocab["target_groups"], "outcomes": vocab["outcomes"],
            "comparisons": vocab["comparisons"], "parameters": count(Parameter)}
