"""The pooled estimate of one parameter: ``rma`` for independent effects, CHE + CR2 for dependent ones.

The rule (docs/statistics.md, "Dependent effect sizes"), as the Campbell
reviews whose data we hold pool (Pustejovsky & Tipton 2022, Prev. Sci. 23;
metafor's ``vcalc``, ``rma.mv`` and ``robust`` help pages):

- every study gives one effect: metafor's ``rma(yi, vi)`` (:mod:`.rma`);
- some study gives several: the correlated and hierarchical effects (CHE)
  working model, ``rma.mv(yi, V, random = ~ 1 | study/es)`` with
  ``V = vcalc(vi, cluster=study, subgroup=sample, obs=es, rho=rho)``, and
  cluster-robust inference, ``robust(fit, cluster=study, clubSandwich=TRUE)``
  (CR2, Satterthwaite df); ``model`` is ``"che-rve"``;
- one study gives several: they are aggregated to one effect
  (``aggregate.escalc`` with the same ``rho``) and that single study is
  shown as ``rma`` with k = 1.

Effects of different samples of one study (``subgroup``) have independent
sampling errors but share the study's random effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import dependent
from .che import CheFit, che_rve_many
from .clusters import SamplingSums
from .dependent import DEFAULT_RHO
from .rma import Fit, rma
from .rowwise import rma_many

#: Other within-study correlations each che-rve parameter is also fitted with (stored as a sensitivity analysis).
RHO_SENSITIVITY = (0.5, 0.95)
CHE_METHODS = ("REML", "ML")


@dataclass(frozen=True)
class StudyEffect:
    """One study's effect as a forest plot or a funnel plot shows it (several aggregated with ``rho``)."""

    study: str
    yi: float
    vi: float
    n_effects: int
    weight: float  # percent of the pooled estimate


@dataclass(frozen=True)
class PooledFit:
    """What a parameter stores of its fit; names follow the export's fields."""

    model: str  # "rma" or "che-rve"
    method: str
    method_used: str
    test: str  # z, knha, or cr2 (cluster-robust t, che-rve)
    level: float
    k: int  # studies
    k_effects: int
    rho: float | None  # None when no study gives several effects
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    df: float | None
    tau2: float
    omega2: float | None
    se_tau2: float | None
    I2: float | None
    H2: float | None
    QE: float | None
    QEp: float | None
    pi_lb: float | None
    pi_ub: float | None
    weights: tuple[float, ...]  # per row, percent
    studies: tuple[StudyEffect, ...]
    converged: bool
    notes: tuple[str, ...]


def _clusters(study) -> tuple[list, list[int]]:
    """Studies in first-appearance order, and each row's position in that order."""
    order: dict = {}
    index = [order.setdefault(s, len(order)) for s in study]
    return list(order), index


def fit(yi, vi, study, sample=None, method: str = "REML", test: str = "z", level: float = 0.95,
        rho: float = DEFAULT_RHO) -> PooledFit:
    """Pool the rows of one parameter by the rule above; ``study`` and ``sample`` label each row."""
    return fit_many([(yi, vi, study, sample, rho)], method, test, level)[0]


def fit_many(problems: list[tuple], method: str = "REML", test: str = "z", level: float = 0.95) -> list[PooledFit]:
    """``[fit(yi, vi, study, sample, method, test, level, rho) for yi, vi, study, sample, rho in problems]``,
    the ``rma`` models of one size fitted together (:func:`.rowwise.rma_many`) and the CHE models together
    (:func:`.che.che_rve_many`); each fit is the one it would be alone."""
    out: list = [None] * len(problems)
    independent, dependent = [], []
    for i, (yi, vi, study, sample, rho) in enumerate(problems):
        y = np.asarray(yi, dtype=float).reshape(-1)
        v = np.asarray(vi, dtype=float).reshape(-1)
        study = list(study)
        sample = list(sample) if sample is not None else ["main"] * len(study)
        if not (len(study) == len(sample) == y.size == v.size):
            raise ValueError("yi, vi, study and sample must have the same length")
        names, index = _clusters(study)
        if len(names) == y.size:
            independent.append((i, y, v, names))
            continue
        if not 0 <= rho < 1:
            raise ValueError(f"rho must be at least 0 and below 1, got {rho!r}")
        subgroup = [f"{s}\x1f{g}" for s, g in zip(study, sample)]
        if len(names) == 1:
            out[i] = _one_study(y, v, names, subgroup, method, test, level, rho)
        else:
            dependent.append((i, y, v, study, names, index, subgroup, rho))
    for (i, y, v, names), f in zip(independent, rma_many([(y, v) for _, y, v, _ in independent], method, test,
                                                         level)):
        out[i] = _independent(f, y, v, names, level)
    if dependent:
        method_used, notes = _che_method(method)
        fits = che_rve_many([(y, v, study, subgroup, rho) for _, y, v, study, _, _, subgroup, rho in dependent],
                            method=method_used, level=level)
        for (i, _, v, _, names, index, _, rho), f in zip(dependent, fits):
            out[i] = _che(f, v.size, names, index, method, notes, level, rho)
    return out


def depends_on_rho(study, sample=None) -> bool:
    """Whether the fit changes with ``rho``: only when two rows share a study and a sample.

    rho is the correlation of effects of one study *sample*; effects of
    different samples of a study are independent (``subgroup`` in
    :func:`dependent.vcalc`). When no two rows share a sample, every
    covariance rho would scale is set to 0, so the working covariance — and
    with it every number of the fit but its ``rho`` label — is exactly the
    same at every rho.
    """
    sample = list(sample) if sample is not None else ["main"] * len(study)
    pairs = list(zip(study, sample))
    return len(set(pairs)) < len(pairs)


def _independent(f: Fit, y, v, names, level) -> PooledFit:
    studies = tuple(StudyEffect(s, float(a), float(b), 1, w) for s, a, b, w in zip(names, y, v, f.weights))
    return PooledFit("rma", f.method, f.method_used, f.test_used, level, f.k, f.k, None, f.estimate, f.se,
                     f.ci_lb, f.ci_ub, f.stat, f.pval, f.df, f.tau2, None, f.se_tau2, f.I2, f.H2, f.QE, f.QEp,
                     f.pi_lb, f.pi_ub, f.weights, studies, f.converged, f.notes)


def _one_study(y, v, names, subgroup, method, test, level, rho) -> PooledFit:
    agg = dependent.aggregate(y, v, [names[0]] * y.size, rho=rho, subgroup=subgroup)
    f = rma(agg.yi, agg.vi, method=method, test=test, level=level)
    note = (f"one study with {y.size} dependent effect sizes: aggregated to one with rho = {rho:g}"
            " (metafor aggregate.escalc)")
    share = tuple(100.0 / y.size for _ in range(y.size))  # not a fit weight: the study is the whole estimate
    studies = (StudyEffect(names[0], float(agg.yi[0]), float(agg.vi[0]), int(y.size), 100.0),)
    return PooledFit("rma", f.method, f.method_used, f.test_used, level, 1, int(y.size), rho, f.estimate, f.se,
                     f.ci_lb, f.ci_ub, f.stat, f.pval, f.df, f.tau2, None, f.se_tau2, f.I2, f.H2, f.QE, f.QEp,
                     f.pi_lb, f.pi_ub, share, studies, f.converged, (*f.notes, note))


def _che_method(method: str) -> tuple[str, tuple[str, ...]]:
    """The method a CHE model is fitted with (rma.mv fits REML or ML) and the note when it is not ``method``."""
    if method in CHE_METHODS:
        return method, ()
    return "REML", (f"{method} is not available for the CHE model (rma.mv fits REML or ML); used REML",)


def _che(f: CheFit, k_effects: int, names, index, method, notes, level, rho) -> PooledFit:
    # Each study's aggregate (metafor aggregate.escalc: 1'W_j y_j/1'W_j 1 and 1/1'W_j 1, W_j = V_j⁻¹, as
    # :func:`dependent.aggregate`) and the I² from the sums of V_j⁻¹ the fit has already (same V, same studies).
    sampling = f.model_fit.data.sampling
    agg_yi, agg_vi = sampling.y / sampling.ones, 1 / sampling.ones
    counts = np.bincount(index, minlength=len(names))
    share = np.bincount(index, weights=f.weights, minlength=len(names))  # added in row order, as np.add.at adds
    studies = tuple(StudyEffect(s, a, b, c, w) for s, a, b, c, w in zip(names, agg_yi.tolist(), agg_vi.tolist(),
                                                                          counts.tolist(), share.tolist()))
    i2 = multilevel_i2(sampling, k_effects, f.tau2 + f.omega2)
    return PooledFit("che-rve", method, f.method, "cr2", level, f.k, f.k_effects, rho, f.estimate, f.se,
                     f.ci_lb, f.ci_ub, f.stat, f.pval, f.df, f.tau2, f.omega2, None, i2, None, f.QE, f.QEp,
                     f.pi_lb, f.pi_ub, f.weights, studies, f.converged,
                     (*f.notes, *notes))


def multilevel_i2(sampling: SamplingSums, k: int, sigma2_total: float) -> float | None:
    """I² of a multilevel model: sum(sigma²) / (sum(sigma²) + (k − p)/tr(P)), P = W − W1(1'W1)⁻¹1'W, W = V⁻¹.

    Source: Viechtbauer, "I² for multilevel and multivariate models"
    (metafor-project.org, FAQ), generalising Higgins & Thompson (2002) with
    the sampling covariance V of :func:`dependent.vcalc`; p = 1 (intercept).
    W is block-diagonal, so tr P = Σ tr W_j − Σ‖W_j1‖²/Σ1'W_j1 over the
    clusters (``sampling``: :attr:`.clusters.Blocks.sampling`).
    """
    tr_p = float(sampling.trace.sum()) - float(sampling.ones_sq.sum()) / float(sampling.ones.sum())
    typical = (k - 1) / tr_p
    return 100 * sigma2_total / (sigma2_total + typical) if math.isfinite(typical) else None
