"""Group effect estimates into parameters and pool each one.

A *parameter* is what a calculator asks for: the effect of one intervention
on one outcome for one target group, against one comparison, in one measure
and follow-up window. Parameters also exist at each parent target group, so a
reader can choose the level of detail (offenders, or juvenile offenders).
"""

from __future__ import annotations

import copyreg
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

from ..records.vocabulary import Vocabulary
from ..stats import rma, sensitivity, strength, units

DEFAULT_METHOD, DEFAULT_TEST, LEVEL = "REML", "z", 0.95


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
    repeat the child). One study sample enters a parameter once.
    """
    groups: dict[Key, Group] = {}
    for intervention, outcome, comparison, followup, measure, row in candidates:
        for tg in (row.target_group, *vocab.ancestors("target_groups", row.target_group)):
            key = Key(intervention, tg, outcome, comparison, followup, measure)
            g = groups.setdefault(key, Group(key))
            if any(r.study == row.study and r.sample == row.sample for r in g.rows):
                g.notes.append(f"{row.label}: only the first estimate of sample '{row.sample}' is used")
                continue
            g.rows.append(row)
    kept = []
    for key, g in groups.items():
        own = {r.target_group for r in g.rows}
        if own == {key.target_group} or len(own) > 1:
            kept.append(g)
    return sorted(kept, key=lambda g: g.key.id)


# Results hold floats and tuples that remember their conversion; they cross to and from worker processes whole.
copyreg.pickle(units.Converted, lambda c: (units.Converted, (float(c), c.conversion)))
copyreg.pickle(units.Interval, lambda i: (units.Interval, (*i, i.conversion)))

#: Below this much work (about 0.35 ms a unit, see ``_work``) pooling runs in this process: starting workers
#: costs more.
PARALLEL_MIN_WORK = 2_000
_WORKER_VOCAB: Vocabulary | None = None


def _work(g: Group) -> int:
    """The cost of pooling ``g`` in model fits: one, plus k leave-one-out refits from k = 3.

    Measured at 1k studies: 0.23 ms for k = 1, 0.53 ms for k = 2, then about
    0.35 ms a fit (4.3 ms for k = 10, 9.4 ms for k = 30). A fit of a few dozen
    studies costs about what a fit of three does (numpy's per-call overhead
    dominates), so the cost grows with k, not k².
    """
    k = len(g.rows)
    return k + 1 if k >= 3 else k


def _init_worker(vocab: Vocabulary) -> None:
    global _WORKER_VOCAB
    _WORKER_VOCAB = vocab


def _pool_chunk(chunk: list[tuple[int, Group]]) -> list[tuple[int, dict]]:
    return [(i, pool(g, _WORKER_VOCAB)) for i, g in chunk]


def pool_all(groups: list[Group], vocab: Vocabulary, workers: int | None = None, track=None,
             min_work: int = PARALLEL_MIN_WORK) -> list[dict]:
    """``[pool(g, vocab) for g in groups]``, in that order, over worker processes when it pays.

    Pooling is pure, so the results are the same whichever process computes
    them. The work is concentrated in the largest groups (leave-one-out is
    one refit per study), so chunks are made largest first and handed out in that order,
    and the results are put back in the order of ``groups``.
    """
    track = track or (lambda items, label: nullcontext(items))
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    total = sum(_work(g) for g in groups)
    if workers < 2 or total < min_work or len(groups) < 2:
        with track(groups, "Pooling parameters") as items:
            return [pool(g, vocab) for g in items]
    order = sorted(range(len(groups)), key=lambda i: (-_work(groups[i]), i))
    target = max(total // (workers * 24), 1)  # small chunks at the end even out the workers' loads
    chunks: list[list[tuple[int, Group]]] = [[]]
    size = 0
    for i in order:
        if size >= target:
            chunks.append([])
            size = 0
        chunks[-1].append((i, groups[i]))
        size += _work(groups[i])
    out: list[dict | None] = [None] * len(groups)
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(vocab,)) as executor:
        futures = [executor.submit(_pool_chunk, chunk) for chunk in chunks]
        with track(futures, "Pooling parameters") as items:
            for future in items:
                for i, result in future.result():
                    out[i] = result
    return out


def pool(g: Group, vocab: Vocabulary, method: str = DEFAULT_METHOD, test: str = DEFAULT_TEST,
         baseline_risk: float | None = None, with_sensitivity: bool = True) -> dict:
    """Every exported field of one parameter (names are the export's contract)."""
    key, rows = g.key, g.rows
    yi = [r.yi for r in rows]
    vi = [r.vi for r in rows]
    fit = rma.rma(yi, vi, method=method, test=test, level=LEVEL)
    outcome = vocab.get("outcomes", key.outcome)
    designs = [r.design for r in rows]
    n_known = [r.n_participants for r in rows if r.n_participants is not None]
    n_total = sum(n_known) if n_known else None
    high_rob = sum(r.risk_of_bias == "high" for r in rows) / len(rows)
    rating = strength.strength(fit.k, designs, n_total, fit.I2, high_rob)
    half = (fit.ci_ub - fit.ci_lb) / 2
    out = {
        "id": key.id,
        "intervention": key.intervention,
        "target_group": key.target_group,
        "outcome": key.outcome,
        "comparison": key.comparison,
        "followup": key.followup,
        "measure": key.measure,
        "scale": units.scale_of(key.measure),
        "method": fit.method,
        "method_used": fit.method_used,
        "test": fit.test,
        "level": LEVEL,
        "estimate": fit.estimate,
        "se": fit.se,
        "ci_low": fit.ci_lb,
        "ci_high": fit.ci_ub,
        "pi_low": fit.pi_lb,
        "pi_high": fit.pi_ub,
        "pval": fit.pval,
        "stat": fit.stat,
        "df": fit.df,
        "tau2": fit.tau2,
        "se_tau2": fit.se_tau2,
        "i2": fit.I2,
        "h2": fit.H2,
        "q": fit.QE,
        "q_pval": fit.QEp,
        "k": fit.k,
        "n_participants": n_total,
        "n_participants_complete": len(n_known) == len(rows),
        "evidence_level": strength.evidence_level(designs),
        "strength": rating.score,
        "strength_reasons": list(rating.reasons),
        "direction": _direction(fit.estimate, half, outcome.desirable if outcome else None),
        "rollup": len({r.target_group for r in rows}) > 1 or any(r.target_group != key.target_group for r in rows),
        "target_groups_pooled": sorted({r.target_group for r in rows}),
        "notes": list(fit.notes) + g.notes,
        "studies": [r.study for r in rows],
        "rows": [_row_out(r, w) for r, w in zip(rows, fit.weights)],
    }
    out.update(_natural(key.measure, fit))
    out.update(_risks(key.measure, rows, fit, baseline_risk))
    out.update(_conversions(key.measure, fit, outcome.desirable if outcome else None))
    if with_sensitivity:
        out["sensitivity"] = _sensitivity(rows, method, test)
    return out


def _direction(estimate: float, half_width: float, desirable: str | None) -> str:
    from .effects import direction

    return direction(estimate, half_width, desirable)


def _row_out(r: Row, weight: float) -> dict:
    return {"study": r.study, "label": r.label, "effect": r.effect, "sample": r.sample, "target_group": r.target_group,
            "design": r.design, "yi": r.yi, "vi": r.vi, "weight": weight,
            "n_participants": r.n_participants, "conversions": list(r.conversions)}


def _natural(measure: str, fit) -> dict:
    if not units.is_ratio(measure):
        return {}
    nat = {f"{name}_natural": units.natural_scale(measure, getattr(fit, attr))
           for name, attr in (("estimate", "estimate"), ("ci_low", "ci_lb"), ("ci_high", "ci_ub"),
                              ("pi_low", "pi_lb"), ("pi_high", "pi_ub"))
           if getattr(fit, attr) is not None}
    nat["natural_scale_conversion"] = "exp(log-scale value)"
    return nat


def _conversions(measure: str, fit, desirable: str | None) -> dict:
    """The same estimate in the other units calculators ask for, each naming its conversion."""
    out = {}
    if measure == "SMD":
        # The WWC signs g so that a positive index favours the intervention.
        favourable = -fit.estimate if desirable == "lower" else fit.estimate
        index = units.wwc_improvement_index(favourable)
        out["wwc_improvement_index"] = index
        out["wwc_improvement_index_conversion"] = index.conversion + (
            ", with g's sign reversed because lower is better" if desirable == "lower" else "")
        log_or = units.smd_to_log_or(fit.estimate, fit.ci_lb, fit.ci_ub)
        out["log_or_from_smd"], out["log_or_from_smd_ci_low"], out["log_or_from_smd_ci_high"] = log_or
        out["log_or_from_smd_conversion"] = log_or.conversion
    elif measure == "OR":
        smd = units.log_or_to_smd(fit.estimate, fit.ci_lb, fit.ci_ub)
        out["smd_from_log_or"], out["smd_from_log_or_ci_low"], out["smd_from_log_or_ci_high"] = smd
        out["smd_from_log_or_conversion"] = smd.conversion
    return out


def _risks(measure: str, rows: list[Row], fit, baseline_risk: float | None) -> dict:
    """Control-group risk and the percentage-point change it implies (binary outcomes)."""
    out = {"control_risk": None, "control_risk_source": None, "treated_risk": None,
           "risk_difference_pp": None, "risk_difference_pp_ci_low": None, "risk_difference_pp_ci_high": None}
    if measure not in ("RR", "OR", "RD"):
        return out
    arms = [(r.control_events, r.control_n) for r in rows if r.control_n]
    if baseline_risk is not None:
        risk, source = baseline_risk, "supplied by the caller"
    elif arms:
        risk, lo, hi = units.pooled_control_risk([a[0] for a in arms], [a[1] for a in arms])
        source = f"pooled from the control arms of {len(arms)} studies: {units.CONTROL_RISK_METHOD}"
        out["control_risk_ci_low"], out["control_risk_ci_high"] = lo, hi
    else:
        return out
    out["control_risk"], out["control_risk_source"] = risk, source
    out["treated_risk"] = units.treated_risk(risk, measure, fit.estimate)
    pp = units.risk_difference_pp(risk, measure, fit.estimate, fit.ci_lb, fit.ci_ub)
    out["risk_difference_pp"], out["risk_difference_pp_ci_low"], out["risk_difference_pp_ci_high"] = pp[:3]
    out["risk_difference_pp_conversion"] = pp.conversion
    out["treated_risk_conversion"] = getattr(out["treated_risk"], "conversion", None)
    return out


def _sensitivity(rows: list[Row], method: str, test: str) -> dict:
    yi, vi = [r.yi for r in rows], [r.vi for r in rows]
    out: dict = {"leave_one_out": [], "rct_only": None}
    if len(rows) >= 3:
        for label, fit in sensitivity.leave_one_out(yi, vi, [r.study for r in rows], method, test):
            out["leave_one_out"].append({"omitted": label, "estimate": fit.estimate,
                                         "ci_low": fit.ci_lb, "ci_high": fit.ci_ub, "tau2": fit.tau2, "i2": fit.I2})
    mask = [r.design in ("rct", "cluster-rct") for r in rows]
    if any(mask) and not all(mask):
        fit = sensitivity.subset_fit(yi, vi, mask, method, test)
        if fit is not None:
            out["rct_only"] = {"k": fit.k, "estimate": fit.estimate, "ci_low": fit.ci_lb,
                               "ci_high": fit.ci_ub, "tau2": fit.tau2, "i2": fit.I2}
    return out

