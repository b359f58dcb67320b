"""The likelihood steps of :mod:`.likelihood` for many two-level fits at once.

A build fits thousands of small CHE models (each parameter with dependent effects, and again at other
rho and on its randomised trials only). One fit's Newton steps are a few dozen numpy calls over a few
hundred numbers, so numpy's per-call cost, not the arithmetic, is what they pay. :class:`Stack` puts the
eigenbases (:class:`.clusters.Eigenbasis`) of many fits one under another, and :func:`evaluate` gives for
all of them what :func:`.likelihood.evaluate` gives for one: per-cluster products in the eigenbases
(formulas in :class:`.clusters.Eigenbasis`; p'M⁻¹q = Σd·p·q − c·(b'p)(b'q)), then each fit's sums over its
own clusters (``np.add.reduceat``), then the log-likelihood, score and information of every fit as arrays.

A fit's numbers depend on its own clusters only, never on which fits share its stack: fits are stacked
with others of their own width (largest cluster), and every sum runs over one fit's segment. So a
parameter pooled alone and pooled among thousands gives the same bits. (Not the bits of the one-fit
function, which works from M⁻¹ itself: the two agree to rounding, which tests/stats/test_stats_stacked.py
checks.)
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .clusters import Blocks, Eigenbasis
from .likelihood import HALVINGS, LL_SLACK, MAXITER, TOL, State, direction, start

#: Columns of :func:`evaluate`'s result: the estimate, 1'M⁻¹1, the log-likelihood, the score, and the
#: observed and expected information as their distinct entries (a11, a12, a22).
MU, S, LL, G0, G1, O11, O12, O22, I11, I12, I22 = range(11)
_LOG_2PI = math.log(2 * math.pi)


class Stack:
    """The eigenbases of several fits of one width, one under another; ``starts`` where each fit's clusters
    begin, ``seg`` each cluster's fit, and the same for the fits' eigenvalues (``flat``)."""

    def __init__(self, lam, u, g, counts, flat, flat_counts, k):
        self.lam, self.u, self.g = lam, u, g
        self.counts, self.flat, self.flat_counts, self.k = counts, flat, flat_counts, k
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self.seg = np.repeat(np.arange(counts.size), counts)
        self.flat_starts = np.concatenate(([0], np.cumsum(flat_counts)[:-1]))
        self.flat_seg = np.repeat(np.arange(flat_counts.size), flat_counts)

    @classmethod
    def of(cls, bases: list[Eigenbasis]) -> Stack:
        return cls(np.concatenate([e.lam for e in bases]), np.concatenate([e.u for e in bases]),
                   np.concatenate([e.g for e in bases]), np.array([e.lam.shape[0] for e in bases]),
                   np.concatenate([e.lam_flat for e in bases]), np.array([e.lam_flat.size for e in bases]),
                   np.array([e.k for e in bases], dtype=float))

    def take(self, fits: np.ndarray) -> Stack:
        """The stack of ``fits`` (positions, ascending) only."""
        if fits.size == self.counts.size:
            return self
        chosen = np.zeros(self.counts.size, dtype=bool)
        chosen[fits] = True
        rows, flat = chosen[self.seg], chosen[self.flat_seg]
        return Stack(self.lam[rows], self.u[rows], self.g[rows], self.counts[fits], self.flat[flat],
                     self.flat_counts[fits], self.k[fits])


def evaluate(s: Stack, tau2: np.ndarray, omega2: np.ndarray, reml: bool) -> np.ndarray:
    """Per fit (rows, columns :data:`MU` … :data:`I22`): what :func:`.likelihood.evaluate` gives at
    (tau2, omega2) — the per-fit formulas are its own — from the eigenbases' per-cluster products.

    The per-cluster dot products are taken all at once (one einsum over stacked vectors): numpy's
    per-call cost, not the arithmetic, is what a fit of a few hundred small clusters pays."""
    def per_fit(x):
        return np.add.reduceat(x, s.starts, axis=-1)

    d = 1 / (s.lam + omega2[s.seg][:, None])  # 0 in the padding
    b = d * s.u  # A⁻¹1
    sb = np.einsum("mi,mi->m", b, s.u)  # 1'A⁻¹1
    tau_rows = tau2[s.seg]
    den = 1 + tau_rows * sb
    c = tau_rows / den
    a = sb / den  # 1'M_j⁻¹1 = s − c·s²
    w = b / den[:, None]  # M⁻¹1 = b − c·s·b
    total = per_fit(a)
    mu = per_fit(np.einsum("mi,mi->m", w, s.g)) / total
    logdet = np.add.reduceat(np.log(s.flat + omega2[s.flat_seg]), s.flat_starts) + per_fit(np.log(den))
    resid = s.g - mu[s.seg][:, None] * s.u  # y − mu
    r = d * resid - (c * np.einsum("mi,mi->m", b, resid))[:, None] * b  # M⁻¹(y − mu)
    x = np.array((w, r, b, d, s.u, resid))
    W, R, B, D, U, E = range(6)  # noqa: N806 (the rows of x, named as the vectors)
    dot = np.einsum("pmi,qmi->pqm", x, x)  # dot[p, q]: x_p'x_q per cluster
    dw, dr, db = np.einsum("pmi,pmi->pm", x[:3] * d, x[:3])  # x_p'diag(d)x_p for w, r, b
    ww, trm = dot[W, W], d.sum(axis=1) - c * dot[B, B]  # w'w, tr M⁻¹
    fro = dot[D, D] - 2 * c * db + c * c * dot[B, B] ** 2  # ‖M⁻¹‖²_F = Σd² − 2c·Σd·b² + c²(b'b)²
    wmw, one_r, rr, wr = dw - c * dot[B, W] ** 2, dot[U, R], dot[R, R], dot[W, R]  # w'M⁻¹w, 1'r, r'r, w'r
    rmr, er = dr - c * dot[B, R] ** 2, dot[E, R]  # r'M⁻¹r, (y − mu)'r
    sa, sa2, sa3, sww, saww, strm, sfro, swmw, q_t, q_o, cca, ca, cwr, swr, srmr, rss = per_fit(np.array(
        (a, a * a, a ** 3, ww, a * ww, trm, fro, wmw, one_r * one_r, rr, one_r * one_r * a, one_r * a,
         one_r * wr, wr, rmr, er)))
    k = s.k
    if reml:
        ll = -0.5 * (k - 1) * _LOG_2PI + 0.5 * np.log(k) - 0.5 * logdet - 0.5 * np.log(total) - 0.5 * rss
        g0, g1 = 0.5 * (-(sa - sa2 / total) + q_t), 0.5 * (-(strm - sww / total) + q_o)
        i_tt = sa2 - 2 * sa3 / total + sa2 ** 2 / total ** 2
        i_to = sww - 2 * saww / total + sa2 * sww / total ** 2
        i_oo = sfro - 2 * swmw / total + sww ** 2 / total ** 2
    else:
        ll = -0.5 * k * _LOG_2PI - 0.5 * logdet - 0.5 * rss
        g0, g1 = 0.5 * (-sa + q_t), 0.5 * (-strm + q_o)
        i_tt, i_to, i_oo = sa2, sww, sfro
    i_tt, i_to, i_oo = 0.5 * i_tt, 0.5 * i_to, 0.5 * i_oo
    q_tt, q_to, q_oo = cca - ca * ca / total, cwr - ca * swr / total, srmr - swr * swr / total
    return np.array((mu, total, ll, g0, g1, q_tt - i_tt, q_to - i_to, q_oo - i_oo, i_tt, i_to, i_oo)).T


def maximise_many(blocks: list[Blocks], reml: bool, tied: list[bool]) -> list[tuple[np.ndarray, State, bool, int]]:
    """:func:`.likelihood.maximise` of each of ``blocks`` (every one with an eigenbasis), stacked by width."""
    out: list = [None] * len(blocks)
    widths: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        widths.setdefault(b.eigen.lam.shape[1], []).append(i)
    for members in widths.values():
        found = _maximise_stack([blocks[i] for i in members], reml, [tied[i] for i in members])
        for i, result in zip(members, found):
            out[i] = result
    return out


def _maximise_stack(blocks: list[Blocks], reml: bool, tied: list[bool]) -> list:
    """Projected Newton / Fisher scoring with step halving, every fit on its own path (as
    :func:`.likelihood.maximise`: the same start, steps, acceptance and stopping rule), each round's
    candidates evaluated together."""
    stack = Stack.of([b.eigen for b in blocks])
    n = len(blocks)
    theta = np.repeat(np.array([start(b) / 2 for b in blocks])[:, None], 2, axis=1)
    state = evaluate(stack, theta[:, 0], theta[:, 1], reml)
    converged = np.zeros(n, dtype=bool)
    iterations = np.full(n, MAXITER)
    active = np.arange(n)
    for it in range(1, MAXITER + 1):
        if not active.size:
            break
        rows = state[active].tolist()
        step = np.array([direction((r[G0], r[G1]), (r[O11], r[O12], r[O22]), (r[I11], r[I12], r[I22]),
                                   tuple(t), tied[f]) for r, t, f in zip(rows, theta[active].tolist(), active)])
        new, new_state = theta[active], state[active]
        pending = np.arange(active.size)  # positions in ``active`` still looking for an acceptable step
        for _ in range(HALVINGS):
            fits = active[pending]
            cand = np.maximum(theta[fits] + step[pending], 0.0)
            found = evaluate(stack.take(fits), cand[:, 0], cand[:, 1], reml)
            ll = state[fits, LL]
            ok = found[:, LL] >= ll - LL_SLACK * np.abs(ll)
            new[pending[ok]], new_state[pending[ok]] = cand[ok], found[ok]
            pending = pending[~ok]
            if not pending.size:
                break
            step[pending] = step[pending] / 2
        change = np.abs(new - theta[active]).max(axis=1)
        theta[active], state[active] = new, new_state
        done = change <= TOL * np.maximum(1e-8, new.max(axis=1))
        converged[active[done]] = True
        iterations[active[done]] = it
        active = active[~done]
    return [(theta[i].copy(), _state(blocks[i], theta[i], state[i]), bool(converged[i]), int(iterations[i]))
            for i in range(n)]


def _state(b: Blocks, theta: np.ndarray, row: np.ndarray) -> State:
    r = row.tolist()
    info = np.array([[r[I11], r[I12]], [r[I12], r[I22]]])
    observed = np.array([[r[O11], r[O12]], [r[O12], r[O22]]])
    return State(r[MU], r[S], r[LL], np.array([r[G0], r[G1]]), info, observed,
                 functools.partial(b.weights, float(theta[0]), float(theta[1])))
