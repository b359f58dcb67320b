"""Group effect estimates into parameters and pool each one.

A *parameter* is what a calculator asks for: the effect of one intervention
on one outcome for one target group, against one comparison, in one measure
and follow-up window. Parameters also exist at each parent target group, so a
reader can choose the level of detail (offenders, or juvenile offenders).
"""

from __future__ import annotations

import copyreg
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

from ..constants import default_workers
from ..records.vocabulary import Vocabulary
from ..stats import pooled, sensitivity, strength, units
from ..stats.metareg import METHODS as REGTEST_METHODS
from ..stats.pooled import DEFAULT_RHO, RHO_SENSITIVITY
from ..stats.regtest import regtest
from .packed import PackedResults, pack

DEFAULT_METHOD, DEFAULT_TEST, LEVEL = "REML", "z", 0.95
#: Egger's test is reported from this many studies on (Sterne et al. 2011, BMJ 343:d4002: fewer have too little power).
SMALL_STUDY_MIN_K = 10


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
    groups: dict[Key, Group] = {}
    for intervention, outcome, comparison, followup, measure, row in candidates:
        for tg in (row.target_group, *vocab.ancestors("target_groups", row.target_group)):
            key = Key(intervention, tg, outcome, comparison, followup, measure)
            groups.setdefault(key, Group(key)).rows.append(row)
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


def _pool_chunk(chunk: list[tuple[int, Group]]) -> list[tuple[int, tuple[bytes, bytes, tuple]]]:
    return [(i, pack(pool(g, _WORKER_VOCAB))) for i, g in chunk]


def pool_all(groups: list[Group], vocab: Vocabulary, workers: int | None = None, track=None,
             min_work: int = PARALLEL_MIN_WORK) -> PackedResults:
    """``[pool(g, vocab) for g in groups]``, in that order, over worker processes when it pays, held
    encoded (:mod:`.packed`: a build holds them all until the database has them).

    Pooling is pure, so the results are the same whichever process computes
    them. The work is concentrated in the largest groups (leave-one-out is
    one refit per study), so chunks are made largest first and handed out in that order,
    and the results are put back in the order of ``groups``.
    """
    track = track or (lambda items, label: nullcontext(items))
    workers = workers if workers is not None else default_workers()
    total = sum(_work(g) for g in groups)
    if workers < 2 or total < min_work or len(groups) < 2:
        with track(groups, "Pooling parameters") as items:
            return PackedResults([pack(pool(g, vocab)) for g in items])
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
    out: list[tuple[bytes, bytes, tuple] | None] = [None] * len(groups)
    # Workers started afresh ("spawn"), not forked from this process: a forked worker starts with this
    # process's whole heap counted in its RSS (at 100k studies 2.2 GB of records and effects it never
    # reads) and adds its own fits on top (3.4 GB measured), which made it the build's peak. The groups
    # and results cross by pickling either way. (Not "forkserver": its workers are the server's children,
    # so their CPU time and memory would be missing from this process's rusage and from the benchmarks.)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(vocab,),
                             mp_context=context) as executor:
        futures = [executor.submit(_pool_chunk, chunk) for chunk in chunks]
        with track(futures, "Pooling parameters") as items:
            for future in items:
                for i, result in future.result():
                    out[i] = result
    return PackedResults(out)


def pool(g: Group, vocab: Vocabulary, method: str = DEFAULT_METHOD, test: str = DEFAULT_TEST,
         baseline_risk: float | None = None, with_sensitivity: bool = True, rho: float = DEFAULT_RHO) -> dict:
    """Every exported field of one parameter (names are the export's contract)."""
    key, rows = g.key, g.rows
    fit = pooled.fit([r.yi for r in rows], [r.vi for r in rows], [r.study for r in rows],
                     [r.sample for r in rows], method=method, test=test, level=LEVEL, rho=rho)
    outcome = vocab.get("outcomes", key.outcome)
    firsts = list({r.study: r for r in reversed(rows)}.values())[::-1]  # each study's first row
    designs = [r.design for r in firsts]
    n_total, n_complete = _participants(rows)
    high_rob = sum(r.risk_of_bias == "high" for r in firsts) / len(firsts)
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
        "model": fit.model,
        "k_effects": fit.k_effects,
        "rho": fit.rho,
        "omega2": fit.omega2,
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
        "n_participants_complete": n_complete,
        "evidence_level": strength.evidence_level(designs),
        "strength": rating.score,
        "strength_reasons": list(rating.reasons),
        "direction": _direction(fit.estimate, half, outcome.desirable if outcome else None),
        "rollup": len({r.target_group for r in rows}) > 1 or any(r.target_group != key.target_group for r in rows),
        "target_groups_pooled": sorted({r.target_group for r in rows}),
        "notes": list(fit.notes) + g.notes,
        "studies": [s.study for s in fit.studies],
        "rows": [_row_out(r, w) for r, w in zip(rows, fit.weights)],
        "study_effects": _study_effects(fit, firsts),
        "small_study_test": _small_study_test(fit, test),
    }
    out.update(_natural(key.measure, fit))
    out.update(_risks(key.measure, rows, fit, baseline_risk))
    out.update(_conversions(key.measure, fit, outcome.desirable if outcome else None))
    if with_sensitivity:
        out["sensitivity"] = _sensitivity(rows, fit, method, test, rho)
    return out


def _participants(rows: list[Row]) -> tuple[int | None, bool]:
    """Participants behind a parameter: each study sample counted once (the largest of its rows' counts).

    Dependent effect sizes of one sample (several outcomes or time points) are
    measured on the same people, so their counts are not added up.
    """
    by_sample: dict[tuple[str, str], list[int | None]] = {}
    for r in rows:
        by_sample.setdefault((r.study, r.sample), []).append(r.n_participants)
    known = [max(n for n in ns if n is not None) for ns in by_sample.values() if any(n is not None for n in ns)]
    complete = all(all(n is not None for n in ns) for ns in by_sample.values())
    return (sum(known) if known else None), complete


def _study_effects(fit: pooled.PooledFit, firsts: list[Row]) -> list[dict]:
    """One row per study for forest and funnel plots (dependent effects aggregated with ``rho``)."""
    label = {r.study: r.label for r in firsts}
    return [{"study": s.study, "label": label[s.study], "yi": s.yi, "vi": s.vi, "sei": s.vi ** 0.5,
             "n_effects": s.n_effects, "weight": s.weight} for s in fit.studies]


def _small_study_test(fit: pooled.PooledFit, test: str) -> dict | None:
    """Egger's regression test on one effect per study, as metafor's ``regtest()``; from k = 10 studies.

    Fitted with the parameter's tau² estimator where the meta-regression has
    it (else REML), and with its test for rma parameters (z for che-rve).
    """
    if fit.k < SMALL_STUDY_MIN_K:
        return None
    method = fit.method_used if fit.method_used in REGTEST_METHODS else DEFAULT_METHOD
    test = test if fit.model == "rma" else "z"
    result = regtest([s.yi for s in fit.studies], [s.vi for s in fit.studies], method=method, test=test)
    return {"model": "rma", "predictor": "sei", "method": method, "test": test, "k": fit.k, "stat": result.stat,
            "df": result.df, "pval": result.pval, "limit_estimate": result.est, "limit_ci_low": result.ci_lb,
            "limit_ci_high": result.ci_ub,
            "on": "one effect per study" + (f" (aggregated with rho = {fit.rho:g})" if fit.rho is not None else "")}


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
    # One control arm per study sample: dependent effects of one sample share it.
    arms = list({(r.study, r.sample): (r.control_events, r.control_n) for r in reversed(rows) if r.control_n}.values())
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


def _sensitivity(rows: list[Row], fit: pooled.PooledFit, method: str, test: str, rho: float) -> dict:
    """Leave one study out (on one effect per study), randomised trials only, and other rho for che-rve."""
    out: dict = {"leave_one_out": [], "rct_only": None, "rho": []}
    if fit.k >= 3:
        yi, vi = [s.yi for s in fit.studies], [s.vi for s in fit.studies]
        loo_method = fit.method_used if fit.model == "che-rve" else method
        loo_test = "z" if fit.model == "che-rve" else test
        for label, f in sensitivity.leave_one_out(yi, vi, [s.study for s in fit.studies], loo_method, loo_test):
            out["leave_one_out"].append({"omitted": label, "estimate": f.estimate,
                                         "ci_low": f.ci_lb, "ci_high": f.ci_ub, "tau2": f.tau2, "i2": f.I2})
    mask = [r.design in ("rct", "cluster-rct") for r in rows]
    if any(mask) and not all(mask):
        chosen = [r for r, m in zip(rows, mask) if m]
        f = _refit(chosen, method, test, rho)
        out["rct_only"] = {"k": f.k, "k_effects": f.k_effects, "model": f.model, "estimate": f.estimate,
                           "ci_low": f.ci_lb, "ci_high": f.ci_ub, "tau2": f.tau2, "i2": f.I2}
    if fit.model == "che-rve":
        # Refitting at another rho gives exactly this fit when rho scales no covariance (pooled.depends_on_rho).
        same = not pooled.depends_on_rho([r.study for r in rows], [r.sample for r in rows])
        for other in RHO_SENSITIVITY:
            if other == rho:
                continue
            f = fit if same else _refit(rows, method, test, other)
            out["rho"].append({"rho": other, "estimate": f.estimate, "se": f.se, "ci_low": f.ci_lb,
                               "ci_high": f.ci_ub, "df": f.df, "tau2": f.tau2, "omega2": f.omega2})
    return out


def _refit(rows: list[Row], method: str, test: str, rho: float) -> pooled.PooledFit:
    return pooled.fit([r.yi for r in rows], [r.vi for r in rows], [r.study for r in rows],
                      [r.sample for r in rows], method=method, test=test, level=LEVEL, rho=rho)
