"""A pooled parameter's exported fields, from its fit (names are the export's contract).

Beside the fit itself: participants, evidence level and strength, the
direction of the effect, each row and study for forest and funnel plots,
Egger's small-study test, the natural and converted scales, risks, and the
sensitivity analyses (leave one study out, randomised trials only, other rho).
"""

from __future__ import annotations

from ..records.vocabulary import Vocabulary
from ..stats import pooled, strength, units
from ..stats.metareg import METHODS as REGTEST_METHODS
from ..stats.pooled import RHO_SENSITIVITY
from ..stats.regtest import regtest
from .groups import Group, Row

DEFAULT_METHOD, DEFAULT_TEST, LEVEL = "REML", "z", 0.95
#: The measures of binary outcomes, whose parameters report control and treated risks.
BINARY = ("RR", "OR", "RD")
#: Egger's test is reported from this many studies on (Sterne et al. 2011, BMJ 343:d4002: fewer have too little power).
SMALL_STUDY_MIN_K = 10


def describe(g: Group, fit: pooled.PooledFit, vocab: Vocabulary, test: str, baseline_risk: float | None,
             rho: float, sensitivity: tuple[list, dict] | None, pooled_risk) -> dict:
    """The parameter's exported fields from its fit, its sensitivity fits (None: no sensitivity; else its
    leave-one-out fits and the fits of :func:`refits` by label) and the control risk pooled from its control
    arms (``units.control_risk``; None where :func:`needs_control_risk` is false)."""
    key, rows = g.key, g.rows
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
    out.update(_risks(key.measure, rows, fit, baseline_risk, pooled_risk))
    out.update(_conversions(key.measure, fit, outcome.desirable if outcome else None))
    if sensitivity is not None:
        out["sensitivity"] = _sensitivity(fit, rho, *sensitivity)
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


def control_arms(rows: list[Row]) -> list[tuple]:
    """``(events, n)`` of each study sample's control arm: dependent effects of one sample share it."""
    return list({(r.study, r.sample): (r.control_events, r.control_n) for r in reversed(rows) if r.control_n}.values())


def needs_control_risk(measure: str, rows: list[Row], baseline_risk: float | None) -> bool:
    """Whether :func:`describe` reports a risk pooled from the control arms (binary outcomes, no risk given)."""
    return measure in BINARY and baseline_risk is None and any(r.control_n for r in rows)


def _risks(measure: str, rows: list[Row], fit, baseline_risk: float | None, pooled_risk) -> dict:
    """Control-group risk and the percentage-point change it implies (binary outcomes)."""
    out = {"control_risk": None, "control_risk_source": None, "treated_risk": None,
           "risk_difference_pp": None, "risk_difference_pp_ci_low": None, "risk_difference_pp_ci_high": None}
    if measure not in BINARY:
        return out
    if baseline_risk is not None:
        risk, source = baseline_risk, "supplied by the caller"
    elif pooled_risk is not None:
        risk, lo, hi = pooled_risk
        source = f"pooled from the control arms of {len(control_arms(rows))} studies: {units.CONTROL_RISK_METHOD}"
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


def refits(rows: list[Row], fit: pooled.PooledFit, rho: float) -> list[tuple]:
    """The fits the sensitivity analyses need besides leave-one-out, as ``(label, rows, rho)``: the
    randomised trials only (``"rct_only"``, where some rows are and some are not) and, for che-rve, each other
    rho of :data:`RHO_SENSITIVITY` (labelled by it) where rho changes the fit (:func:`pooled.depends_on_rho`;
    where it does not, refitting would give exactly this fit)."""
    wanted = []
    mask = [r.design in ("rct", "cluster-rct") for r in rows]
    if any(mask) and not all(mask):
        wanted.append(("rct_only", [r for r, m in zip(rows, mask) if m], rho))
    if fit.model == "che-rve" and pooled.depends_on_rho([r.study for r in rows], [r.sample for r in rows]):
        wanted.extend((other, rows, other) for other in RHO_SENSITIVITY if other != rho)
    return wanted


def _sensitivity(fit: pooled.PooledFit, rho: float, leave_one_out: list, refitted: dict) -> dict:
    """Leave one study out, randomised trials only, and other rho for che-rve (``refitted``: the fits of
    :func:`refits` by label)."""
    out: dict = {"leave_one_out": [{"omitted": label, "estimate": f.estimate, "ci_low": f.ci_lb,
                                    "ci_high": f.ci_ub, "tau2": f.tau2, "i2": f.I2} for label, f in leave_one_out],
                 "rct_only": None, "rho": []}
    if (f := refitted.get("rct_only")) is not None:
        out["rct_only"] = {"k": f.k, "k_effects": f.k_effects, "model": f.model, "estimate": f.estimate,
                           "ci_low": f.ci_lb, "ci_high": f.ci_ub, "tau2": f.tau2, "i2": f.I2}
    if fit.model == "che-rve":
        for other in RHO_SENSITIVITY:
            if other == rho:
                continue
            f = refitted.get(other, fit)
            out["rho"].append({"rho": other, "estimate": f.estimate, "se": f.se, "ci_low": f.ci_lb,
                               "ci_high": f.ci_ub, "df": f.df, "tau2": f.tau2, "omega2": f.omega2})
    return out
