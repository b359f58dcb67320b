"""Prove a build's numbers: refit every stored parameter in R and compare field by field.

Each parameter is refitted from its own stored rows exactly as
docs/statistics.md §9 writes the model in R (metafor 3.8-1; clubSandwich for
che-rve), together with its rho-sensitivity fits, its leave-one-out fits and
its small-study test, in one ``Rscript`` run (:mod:`.runner`). Tolerances are named: ``RMA_RTOL``
for rma (closed forms and Fisher scoring, as metafor), ``CHE_RTOL`` for
che-rve (metafor's rma.mv optimises log(sigma²) with nlminb; we solve the
same score equations, so the optima agree to the optimisers' tolerance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .runner import fit_in_r

RMA_RTOL = 1e-6
CHE_RTOL = 1e-5
#: A variance component below this is at its boundary: metafor reports a tiny positive value (it optimises on
#: the log scale), we report the optimum on the boundary; both mean "no variance".
VARIANCE_ATOL = 1e-8
#: Statistics near zero (an estimate of 0.000…) are compared absolutely.
ATOL = 1e-9
#: Relative tolerance on a restricted log-likelihood when deciding whose optimum is higher.
LL_TOL = 1e-10

RMA_FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "pval": "pval",
              "pi_low": "pi_lb", "pi_high": "pi_ub", "tau2": "tau2", "se_tau2": "se_tau2", "i2": "I2",
              "h2": "H2", "q": "QE", "q_pval": "QEp", "k": "k", "k_effects": "k_effects"}
CHE_FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "pval": "pval",
              "pi_low": "pi_lb", "pi_high": "pi_ub", "df": "df", "tau2": "tau2", "omega2": "omega2",
              "i2": "I2", "q": "QE", "q_pval": "QEp", "k": "k", "k_effects": "k_effects"}
RHO_FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci_lb", "ci_high": "ci_ub", "df": "df",
              "tau2": "tau2", "omega2": "omega2"}
LOO_FIELDS = {"estimate": "estimate", "ci_low": "ci_lb", "ci_high": "ci_ub", "tau2": "tau2", "i2": "I2"}
REGTEST_FIELDS = {"stat": "stat", "pval": "pval", "limit_estimate": "estimate", "limit_ci_low": "ci_lb",
                  "limit_ci_high": "ci_ub"}
VARIANCES = {"tau2", "omega2", "se_tau2"}
#: With one study there is no heterogeneity: we report none where metafor prints NA or a degenerate value.
K1_SKIPPED = {"i2", "h2", "q", "q_pval", "se_tau2", "pi_low", "pi_high"}


def close(actual, expected, rtol: float, atol: float = ATOL) -> bool:
    """Equal within ``rtol`` (relative) or ``atol`` (absolute); None only equals None."""
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isfinite(actual) and abs(actual - expected) <= max(rtol * abs(expected), atol)


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=dict)  # what -> how many
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def count(self, what: str) -> None:
        self.checked[what] = self.checked.get(what, 0) + 1

    def summary(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in self.checked.items()) or "nothing"


def r_model(p: dict) -> str:
    """The oracle's model for a stored parameter (see evidence/oracle/metafor.R)."""
    if p["model"] == "che-rve":
        return "che"
    return "agg" if p["k_effects"] > p["k"] else "rma"


def _dataset(name: str, p: dict, model: str, rho: float) -> dict:
    rows = p["rows"]
    return {"name": name, "model": model, "method": p["method_used"],
            "test": "z" if model == "che" else p["test"], "rho": rho,
            "yi": [r["yi"] for r in rows], "vi": [r["vi"] for r in rows],
            "study": [r["study"] for r in rows], "subgroup": [r["sample"] for r in rows]}


def datasets(parameters: list[dict]) -> list[dict]:
    """Everything to fit in R for ``parameters``, named ``p<i>``, ``p<i>-rho<r>``, ``p<i>-loo<j>``,
    ``p<i>-regtest``."""
    out = []
    for i, p in enumerate(parameters):
        out.append(_dataset(f"p{i}", p, r_model(p), p["rho"] if p["rho"] is not None else 0.8))
        for other in (p.get("sensitivity") or {}).get("rho", []):
            out.append(_dataset(f"p{i}-rho{other['rho']}", p, "che", other["rho"]))
        out += _leave_one_out(i, p)
        test = p.get("small_study_test")
        if test is not None:
            effects = p["study_effects"]
            out.append({"name": f"p{i}-regtest", "model": "regtest", "method": test["method"],
                        "test": test["test"], "yi": [s["yi"] for s in effects],
                        "vi": [s["vi"] for s in effects]})
    return out


def _leave_one_out(i: int, p: dict, method: str | None = None) -> list[dict]:
    """rma without each study in turn, on one effect per study (``study_effects``), as the build refits them:
    che-rve parameters with their estimator and z, rma parameters with the method and test asked for."""
    che = p["model"] == "che-rve"
    effects = p["study_effects"]
    out = []
    for j, entry in enumerate((p.get("sensitivity") or {}).get("leave_one_out", [])):
        kept = [s for s in effects if s["study"] != entry["omitted"]]
        out.append({"name": f"p{i}-loo{j}", "model": "rma", "method": method or (p["method_used"] if che else
                                                                                 p["method"]),
                    "test": "z" if che else p["test"], "yi": [s["yi"] for s in kept], "vi": [s["vi"] for s in kept]})
    return out


def _compare(report: Report, label: str, ours: dict, theirs: dict, fields: dict, rtol: float,
             skip: set[str] = frozenset()) -> None:
    if theirs["error"] is not None:
        report.mismatches.append(f"{label}: R could not fit it: {theirs['error']}")
        return
    for name, r_name in fields.items():
        if name in skip:
            continue
        atol = VARIANCE_ATOL if name in VARIANCES and rtol == CHE_RTOL else ATOL
        if not close(ours[name], theirs[r_name], rtol, atol):
            report.mismatches.append(f"{label} {name}: stored {ours[name]!r}, R {theirs[r_name]!r}")


def verify(parameters: list[dict]) -> Report:
    """Compare every parameter (and its rho fits and small-study test) with R's fit of its rows.

    A che-rve fit that differs from R's, or that R cannot fit, gets a second
    look: R evaluates the same model with the variance components held at
    ours. If R's restricted likelihood there is at least as high as at its own
    optimum (``LL_TOL``), ours is the better maximum — metafor's nlminb on
    log(sigma²) stops short of a boundary or fails on a flat likelihood — and
    every other number must then equal R's at those components.
    """
    fitted = {r["name"]: r for r in fit_in_r(datasets(parameters))}
    report = Report()
    second: list[tuple[str, dict, dict, dict]] = []  # (label, ours, fields, dataset at our optimum)
    loo_dl: list[tuple[str, dict, dict]] = []  # (label, ours, the DL dataset) where R's REML did not converge
    for i, p in enumerate(parameters):
        che = p["model"] == "che-rve"
        label = f"{p['id']} ({p['model']})"
        if che:
            _che_compare(report, second, label, p, fitted[f"p{i}"], CHE_FIELDS,
                         _dataset(f"p{i}-fixed", p, "che", p["rho"]))
        else:
            _compare(report, label, p, fitted[f"p{i}"], RMA_FIELDS, RMA_RTOL,
                     K1_SKIPPED if p["k"] == 1 else set())
        report.count(f"{p['model']} parameters")
        for other in (p.get("sensitivity") or {}).get("rho", []):
            name = f"p{i}-rho{other['rho']}"
            _che_compare(report, second, f"{p['id']} at rho {other['rho']}", other, fitted[name], RHO_FIELDS,
                         _dataset(f"{name}-fixed", p, "che", other["rho"]))
            report.count("rho-sensitivity fits")
        for j, entry in enumerate((p.get("sensitivity") or {}).get("leave_one_out", [])):
            theirs = fitted[f"p{i}-loo{j}"]
            if theirs["error"] is not None:
                # metafor stops where Fisher scoring does not converge; rma then falls back to DL (as ours does)
                loo_dl.append((f"{p['id']} without {entry['omitted']} (DL)", entry, _leave_one_out(i, p, "DL")[j]))
                continue
            _compare(report, f"{p['id']} without {entry['omitted']}", entry, theirs, LOO_FIELDS, RMA_RTOL)
            report.count("leave-one-out fits")
        test = p.get("small_study_test")
        if test is not None:
            _compare(report, f"{p['id']} small-study test", test, fitted[f"p{i}-regtest"], REGTEST_FIELDS,
                     RMA_RTOL)
            report.count("small-study tests")
    if loo_dl:
        by_dl = {r["name"]: r for r in fit_in_r([ds for *_, ds in loo_dl])}
        for label, ours, ds in loo_dl:
            _compare(report, label, ours, by_dl[ds["name"]], LOO_FIELDS, RMA_RTOL)
            report.count("leave-one-out fits")
    if second:
        at_ours = {r["name"]: r for r in fit_in_r([ds for *_, ds in second])}
        for label, ours, fields, ds in second:
            theirs = at_ours[ds["name"]]
            r_own_ll = ds["r_own_ll"]
            if theirs["error"] is None and r_own_ll is not None and theirs["ll"] < r_own_ll - LL_TOL * abs(r_own_ll):
                report.mismatches.append(f"{label}: R's own optimum has the higher likelihood "
                                         f"({r_own_ll!r} against {theirs['ll']!r} at ours)")
                continue
            _compare(report, f"{label} at our variance components", ours, theirs, fields, CHE_RTOL)
            report.count("che-rve fits where our optimum beats metafor's nlminb")
    return report


def _che_compare(report: Report, second: list, label: str, ours: dict, theirs: dict, fields: dict,
                 at_ours: dict) -> None:
    """Compare a che-rve fit; one that differs is queued to be evaluated by R at our variance components."""
    trial = Report()
    _compare(trial, label, ours, theirs, fields, CHE_RTOL)
    if trial.ok:
        return
    at_ours.update(tau2_fixed=ours["tau2"], omega2_fixed=ours["omega2"], r_own_ll=theirs["ll"])
    second.append((label, ours, fields, at_ours))
