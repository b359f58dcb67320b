"""Parameters: effect estimates grouped by what a calculator asks for.

A *parameter* is the effect of one intervention on one outcome for one
target group, against one comparison, in one measure and follow-up window.
Parameters also exist at each parent target group, so a reader can choose the
level of detail (offenders, or juvenile offenders). :mod:`.pooling` pools them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records.vocabulary import Vocabulary


@dataclass(frozen=True)
class Row:
    """One study's estimate in one parameter: what pooling needs, nothing more."""

    study: str
    label: str
    effect: str
    sample: str
    target_group: str
    design: str
    risk_of_bias: str
    yi: float
    vi: float
    n_participants: int | None = None
    control_events: int | None = None
    control_n: int | None = None
    conversions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Key:
    intervention: str
    target_group: str
    outcome: str
    comparison: str | None
    followup: str
    measure: str

    @property
    def id(self) -> str:
        return ".".join((self.intervention, self.target_group, self.outcome,
                         self.comparison or "any", self.followup, self.measure))


@dataclass
class Group:
    key: Key
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def group(candidates, vocab: Vocabulary) -> list[Group]:
    """Parameters from ``(key_without_group, target_group, measure, Row)`` candidates.

    ``candidates`` yields ``(intervention, outcome, comparison, followup, measure, row)``.
    Each row joins its own target group and every ancestor; a parent's group is
    kept only when it pools more than one child group (otherwise it would
    repeat the child). A study may give several rows to one parameter
    (dependent effect sizes); :func:`pool` then fits the CHE model.
    """
    # Keyed by plain tuples (Key's fields in order): a frozen dataclass made and hashed per row and ancestor
    # cost more than the grouping; the Key and Group of a kept parameter are made once, at the end.
    rows_of: dict[tuple, list[Row]] = {}
    for intervention, outcome, comparison, followup, measure, row in candidates:
        for tg in (row.target_group, *vocab.ancestors("target_groups", row.target_group)):
            rows_of.setdefault((intervention, tg, outcome, comparison, followup, measure), []).append(row)
    kept = []
    for fields, rows in rows_of.items():
        own = {r.target_group for r in rows}
        if own == {fields[1]} or len(own) > 1:
            kept.append(Group(Key(*fields), rows))
    return sorted(kept, key=lambda g: g.key.id)
