"""Egger-type regression test for funnel-plot asymmetry.

As metafor 3.8-1 ``regtest(rma(yi, vi, method=method, test=test))``
(``R/regtest.r``; model "rma", predictor "sei"): the mixed-effects
meta-regression y_i = b0 + b1·sei_i + u_i + e_i with sei = sqrt(v_i)
(Egger et al. 1997, BMJ 315:629-634; Sterne & Egger 2005, in Rothstein et
al., *Publication Bias in Meta-Analysis*, ch. 6). The test is the Wald test
of b1 (z, or t with k − 2 df for knha); the intercept b0 is the "limit
estimate", the effect expected for a study with sei → 0 (Stanley &
Doucouliagos 2014, Res. Synth. Methods 5:60-78), with its CI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metareg import MetaregFit, rma_mods


@dataclass(frozen=True)
class Regtest:
    """``stat`` is metafor's zval (a t value when test="knha", then ``df``);
    ``est``/``ci_lb``/``ci_ub`` the limit estimate; ``yi``/``sei`` the
    funnel-plot points in data order."""

    method: str
    test: str
    stat: float
    pval: float
    df: int | None
    est: float
    ci_lb: float
    ci_ub: float
    slope: float
    slope_se: float
    tau2: float
    yi: tuple[float, ...]
    sei: tuple[float, ...]
    fit: MetaregFit

    @property
    def zval(self) -> float | None:
        return self.stat if self.df is None else None

    @property
    def tval(self) -> float | None:
        return self.stat if self.df is not None else None


def regtest(yi, vi, method: str = "REML", test: str = "z", level: float = 0.95) -> Regtest:
    """Regression test with sei as predictor (module doc); needs k ≥ 3."""
    v = np.asarray(vi, dtype=float).reshape(-1)
    if v.size < 3:
        raise ValueError(f"the regression test needs at least 3 studies, got {v.size}")
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError("every sampling variance vi must be a finite number > 0")
    sei = np.sqrt(v)
    fit = rma_mods(yi, v, sei, method=method, test=test, level=level)
    y = np.asarray(yi, dtype=float).reshape(-1)
    return Regtest(method, test, fit.stat[1], fit.pval[1], fit.df, fit.beta[0], fit.ci_lb[0],
                   fit.ci_ub[0], fit.beta[1], fit.se[1], fit.tau2, tuple(float(x) for x in y),
                   tuple(float(x) for x in sei), fit)
