"""The closed forms of evidence.stats against metafor's matrix formulas.

metafor (R/rma.uni.r) writes every estimator with P = W − W X (X'WX)⁻¹ X'W.
This file re-implements those lines literally with numpy matrices and checks
the package on random data sets, so agreement is not limited to the four
reference data sets.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evidence.stats.rma import rma
from evidence.stats.rootfind import uniroot


def P_of(w):
    k = len(w)
    X = np.ones((k, 1))
    W = np.diag(w)
    return W - W @ X @ np.linalg.inv(X.T @ W @ X) @ X.T @ W


def metafor_tau2(y, v, method):
    """(tau2, se_tau2) by metafor's code, line for line (intercept-only, p = 1)."""
    k, p = len(y), 1
    Y = y.reshape(-1, 1)
    V = np.diag(v)
    identity = np.eye(k)
    if method in ("HE", "ML", "REML", "EB"):
        P = identity - np.ones((k, k)) / k
        RSS = (Y.T @ P @ Y).item()
        PV = P @ V
        trPV = np.trace(PV)
        tau2 = (RSS - trPV) / (k - p)
        if method == "HE":
            tau2 = max(0.0, tau2)
            return tau2, np.sqrt(1 / (k - p) ** 2 * (2 * np.sum(PV * PV.T) + 4 * tau2 * trPV + 2 * tau2 ** 2 * (k - p)))
        tau2 = max(0.0, tau2)
        change, it = 1 + 1e-5, 0
        while change > 1e-5:
            it += 1
            old = tau2
            wi = 1 / (v + tau2)
            P = P_of(wi)
            if method == "ML":
                adj = ((Y.T @ P @ P @ Y).item() - wi.sum()) / np.sum(wi ** 2)
            elif method == "REML":
                adj = ((Y.T @ P @ P @ Y).item() - np.trace(P)) / np.trace(P @ P)
            else:
                adj = ((Y.T @ P @ Y).item() * k / (k - p) - k) / wi.sum()
            while tau2 + adj < 0:
                adj /= 2
            tau2 += adj
            change = abs(old - tau2)
            if it > 100:
                return None  # metafor stops: "Fisher scoring algorithm did not converge"
        if method in ("ML", "REML") and tau2 > 1e-5:
            # metafor's ll0check
            def ll(t):
                wi = 1 / (v + t)
                b = np.sum(wi * y) / wi.sum()
                val = -0.5 * np.sum(np.log(v + t)) - 0.5 * np.sum(wi * (y - b) ** 2)
                return val - 0.5 * np.log(wi.sum()) + 0.5 * np.log(2 * np.pi) if method == "REML" else val
            if ll(0.0) - ll(tau2) > np.finfo(float).eps ** 0.25:
                tau2 = 0.0
        wi = 1 / (v + tau2)
        P = P_of(wi)
        if method == "ML":
            return tau2, np.sqrt(2 / np.sum(wi ** 2))
        if method == "REML":
            return tau2, np.sqrt(2 / np.sum(P * P))
        return tau2, np.sqrt(2 * k ** 2 / (k - p) / wi.sum() ** 2)
    if method in ("DL", "HS"):
        wi = 1 / v
        P = P_of(wi)
        RSS = (Y.T @ P @ Y).item()
        trP = np.trace(P)
        if method == "DL":
            tau2 = max(0.0, (RSS - (k - p)) / trP)
            return tau2, np.sqrt(1 / trP ** 2 * (2 * (k - p) + 4 * tau2 * trP + 2 * tau2 ** 2 * np.sum(P * P)))
        tau2 = max(0.0, (RSS - k) / wi.sum())
        return tau2, np.sqrt(1 / wi.sum() ** 2 * (2 * (k - p) + 4 * tau2 * trP + 2 * tau2 ** 2 * np.sum(P * P)))
    if method == "SJ":
        tau0 = np.var(y, ddof=1) * (k - 1) / k
        wi = 1 / (v + tau0)
        P = P_of(wi)
        RSS = (Y.T @ P @ Y).item()
        PV = P @ V
        tau2 = max(0.0, tau0 * RSS / (k - p))
        return tau2, np.sqrt(tau0 ** 2 / (k - p) ** 2 * (2 * np.sum(PV * PV.T) + 4 * tau2 * np.sum(PV * P)
                                                       + 2 * tau2 ** 2 * np.sum(P * P)))
    if method == "PM":
        def qe(t):
            return (Y.T @ P_of(1 / (v + t)) @ Y).item() - (k - p)
        if qe(0.0) < 0:
            tau2 = 0.0
        else:
            tau2 = uniroot(qe, 0.0, 100.0, maxiter=100).root
        wi = 1 / (v + tau2)
        return tau2, np.sqrt(2 * k ** 2 / (k - p) / wi.sum() ** 2)
    raise AssertionError(method)


def metafor_fit(y, v, method, test):
    """metafor's fit, or None where metafor stops with an error."""
    est = (0.0, None) if method == "EE" else metafor_tau2(y, v, method)
    if est is None:
        return None
    tau2, se_tau2 = est
    wi = 1 / (v + tau2)
    beta = np.sum(wi * y) / wi.sum()
    vb = 1 / wi.sum()
    k = len(y)
    if test == "knha":
        vb *= np.sum(wi * (y - beta) ** 2) / (k - 1)
        crit = stats.t.ppf(0.975, k - 1)
    else:
        crit = stats.norm.ppf(0.975)
    P = P_of(1 / v)
    QE = max(0.0, y @ P @ y)
    vt = (k - 1) / np.trace(P)
    if method == "EE":
        I2 = 0.0 if QE <= 0 else max(0.0, 100 * (QE - (k - 1)) / QE)
        H2 = QE / (k - 1)
    else:
        I2, H2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1
    return dict(tau2=tau2, se_tau2=se_tau2, estimate=beta, se=np.sqrt(vb),
                ci_lb=beta - crit * np.sqrt(vb), QE=QE, I2=I2, H2=H2)


datasets = st.integers(2, 25).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-3, 3), min_size=k, max_size=k),
    st.lists(st.floats(0.005, 2.0), min_size=k, max_size=k),
))


@pytest.mark.parametrize("method", ["EE", "DL", "HS", "HE", "SJ", "ML", "REML", "EB", "PM"])
@pytest.mark.parametrize("test", ["z", "knha"])
@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=datasets)
def test_closed_forms_equal_metafor_matrix_code(method, test, data):
    y, v = (np.array(x) for x in data)
    if test == "knha" and np.ptp(y) < 1e-6:
        return  # degenerate knha (see test_knha_degenerate_falls_back_to_z)
    ours = rma(y, v, method=method, test=test)
    ref = metafor_fit(y, v, method, test)
    if ref is None:
        # metafor errors; we must say so and use DL instead
        assert not ours.converged and ours.method_used == "DL"
        assert any("did not converge" in n for n in ours.notes)
        ref = metafor_fit(y, v, "DL", test)
    else:
        assert ours.converged and ours.method_used == method
    for name, expected in ref.items():
        got = getattr(ours, name)
        if expected is None:
            assert got is None
        else:
            # abs term: quantities of size ~0 (tau2 truncated at 0, QE ~ 0)
            assert got == pytest.approx(expected, rel=1e-7, abs=1e-10), name
