"""The current build's parameters read from the database a few hundred at a time, for an export of any size.

``services.parameters.load_current`` holds every parameter, with its per-study
rows, in memory at once (6 GB at 100,000 studies); the export command needs
one at a time. This yields the same parameters in the same order (by id) and
export form: each is finished the same way (labels, per-row extras, the
control risk an RD parameter borrows from its RR or OR sibling) and pooled
again when the choice is not the stored one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from sys import intern

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Effect, Parameter, Study, Term
from ..services.effects import control_arm
from ..services.parameters import (
    ROW_EXTRAS,
    SCHEMA,
    Choice,
    borrow_control_risk,
    build_info,
    export_form,
    labels_for,
    repool,
)

#: Parameters (each a JSON document with its per-study rows) fetched from the database at a time.
CHUNK = 200
NO_EXTRAS = (None,) * len(ROW_EXTRAS)


@dataclass
class Streamed:
    """The export document's header (``schema`` … ``settings``) and its parameters, to be read once."""

    header: dict
    parameters: Iterator[dict]


def stream_current(session: Session, choice: Choice) -> Streamed | None:
    """The current build's parameters as the export writes them, one at a time (None if not built)."""
    info = build_info(session)
    if info is None:
        return None
    header = {"schema": SCHEMA, "dataset_version": info.dataset_version, "generated_at": info.built_at,
              "settings": choice.settings()}
    return Streamed(header, _parameters(session, choice))


def _arms(session: Session) -> dict[tuple[str, str], tuple]:
    """(study, effect) -> (sample, risk of bias, control events, control n): what a stored row lacks.

    Tuples of interned strings, not dicts: one per effect of the corpus is kept for the whole export.
    """
    out = {}
    query = (select(Effect.study_id, Effect.key, Effect.form, Effect.data, Effect.sample, Study.risk_of_bias)
             .join(Study).execution_options(yield_per=5000))
    for study, key, form, data, sample, rob in session.execute(query):
        arm = control_arm(form, data) if form == "counts" else None
        out[(intern(study), intern(key))] = (intern(sample), intern(rob), *(arm or (None, None)))
    return out


def _parameters(session: Session, choice: Choice) -> Iterator[dict]:
    terms = {(t.kind, t.slug): t for t in session.execute(select(Term)).scalars()}
    arms = _arms(session)
    query = select(Parameter.result).order_by(Parameter.id).execution_options(yield_per=CHUNK)
    stored = (export_form(result, labels_for(result, terms),
                          [dict(zip(ROW_EXTRAS, arms.get((r["study"], r["effect"]), NO_EXTRAS), strict=True))
                           for r in result["rows"]])
              for result in session.execute(query).scalars())
    return finished(stored, choice)


def finished(parameters: Iterable[dict], choice: Choice) -> Iterator[dict]:
    """Parameters in id order, finished as ``load_current`` finishes the whole list, holding one group at a time.

    An RD borrows its control risk from a sibling of the same intervention, group, outcome, comparison
    and follow-up (``borrow_control_risk``): their ids differ only after the last ".", and slugs hold
    no ".", so in id order the siblings are adjacent. A group seen twice would break that; it is an error.
    """
    siblings: list[dict] = []
    prefix = None
    done: set[str] = set()
    for p in parameters:
        group = p["id"].rpartition(".")[0]
        if group != prefix:
            yield from _finish(siblings, choice)
            if prefix is not None:
                done.add(prefix)
            if group in done:
                raise RuntimeError(f"parameter {p['id']}: its siblings are not adjacent in id order")
            siblings, prefix = [], group
        siblings.append(p)
    yield from _finish(siblings, choice)


def _finish(siblings: list[dict], choice: Choice) -> Iterator[dict]:
    borrow_control_risk(siblings)
    for p in siblings:
        yield p if choice.stored else repool(p, choice)
