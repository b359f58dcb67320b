"""Correlated-and-hierarchical-effects (CHE) working model with robust variance.

Pustejovsky & Tipton (2022, Prev. Sci. 23:425-438): sampling covariance
by a constant within-study correlation rho (:func:`dependent.vcalc`), a
two-level random-effects model (:func:`multilevel.rma_mv`) and CR2
cluster-robust inference with Satterthwaite df (:func:`robust.robust`).
The R equivalent, metafor 3.8-1 with clubSandwich:

    V   <- vcalc(vi, cluster=study, subgroup=subgroup, obs=es, rho=rho)
    fit <- rma.mv(yi, V, random = ~ 1 | study/es, method=method)
    rob <- robust(fit, cluster=study, clubSandwich=TRUE)
    predict(rob)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .dependent import DEFAULT_RHO, check_rho, group_rows, vcalc_blocks
from .multilevel import METHODS, MultilevelFit, rma_mv_blocks
from .robust import robust
from .validation import check_choice, check_level, effect_vectors


@dataclass(frozen=True)
class CheFit:
    """The export contract of a CHE-RVE fit: estimate, CI, t, p and df are the
    robust (CR2, Satterthwaite) ones; ``se_model`` is the model-based SE;
    ``weights`` each row's percent share of the estimate (see
    :class:`multilevel.MultilevelFit`); ``model_fit`` the model-based fit itself (not exported)."""

    model: str
    method: str
    level: float
    rho: float
    k: int
    k_effects: int
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    df: float
    tau2: float
    omega2: float
    pi_lb: float
    pi_ub: float
    se_model: float
    QE: float | None
    QEp: float | None
    weights: tuple[float, ...]
    converged: bool
    notes: tuple[str, ...] = ()
    model_fit: MultilevelFit | None = field(default=None, repr=False, compare=False)


def che_rve(yi, vi, cluster, subgroup=None, rho: float = DEFAULT_RHO, method: str = "REML",
            level: float = 0.95) -> CheFit:
    """Fit the CHE working model and its CR2 robust inference (module doc).

    Raises ValueError (naming the row) for non-finite yi/vi, vi ≤ 0, a
    missing cluster or subgroup, lengths that differ, rho outside [0, 1),
    an unknown method, a level outside (0, 1), or fewer than 2 clusters.
    """
    return che_rve_many([(yi, vi, cluster, subgroup, rho)], method, level)[0]


def che_rve_many(problems: list[tuple], method: str = "REML", level: float = 0.95) -> list[CheFit]:
    """``[che_rve(yi, vi, cluster, subgroup, rho, method, level) for yi, vi, cluster, subgroup, rho in
    problems]``, the models fitted together (:func:`.multilevel.rma_mv_blocks`)."""
    check_choice("method", method, METHODS)
    level = check_level(level)
    models = []
    for yi, vi, cluster, subgroup, rho in problems:
        rho = check_rho(rho)
        y, v = effect_vectors(yi, vi)
        groups = group_rows(cluster, y.size)
        if groups.k < 2:
            raise ValueError(f"CHE-RVE needs at least 2 clusters (studies), got {groups.k}")
        models.append((y, vcalc_blocks(v, cluster, rho, subgroup, groups), groups))
    fits = rma_mv_blocks(models, method=method, level=level)
    return [_with_robust(fit, level, rho) for fit, (*_, rho) in zip(fits, problems)]


def _with_robust(fit: MultilevelFit, level: float, rho: float) -> CheFit:
    rob = robust(fit, level=level)
    notes = fit.notes
    if rob.se <= 1e-10 * fit.se:
        notes += ("robust SE is numerically 0 (every residual is about 0, e.g. identical "
                  "estimates): t and p are not meaningful",)
    return CheFit("che-rve", fit.method, level, float(rho), fit.k, fit.k_effects, rob.estimate, rob.se,
                  rob.ci_lb, rob.ci_ub, rob.stat, rob.pval, rob.df, fit.tau2, fit.omega2,
                  rob.pi_lb, rob.pi_ub, fit.se, fit.QE, fit.QEp, fit.weights, fit.converged, notes, fit)
