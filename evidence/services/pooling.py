"""Pool each parameter (:mod:`.groups`) into its exported fields (:mod:`.parameter_fields`), over worker
processes when it pays.
"""

from __future__ import annotations

import copyreg
import itertools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext

from ..constants import default_workers
from ..records.vocabulary import Vocabulary
from ..stats import pooled, rowwise, sensitivity, units
from ..stats.pooled import DEFAULT_RHO
from .groups import Group, Row
from .packed import PackedResults, pack
from .parameter_fields import DEFAULT_METHOD, DEFAULT_TEST, LEVEL, control_arms, describe, needs_control_risk, refits

# Results hold floats and tuples that remember their conversion; they cross to and from worker processes whole.
copyreg.pickle(units.Converted, lambda c: (units.Converted, (float(c), c.conversion)))
copyreg.pickle(units.Interval, lambda i: (units.Interval, (*i, i.conversion)))

#: Below this much work (about 0.35 ms a unit, see ``_work``) pooling runs in this process: starting workers
#: costs more.
PARALLEL_MIN_WORK = 2_000
#: Groups pooled together in this process (:func:`pool_many`), so a progress bar still moves.
SERIAL_BATCH = 256
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
    results = pool_many([g for _, g in chunk], _WORKER_VOCAB)
    return [(i, pack(result)) for (i, _), result in zip(chunk, results)]


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
            items = iter(items)
            packed = []
            while batch := list(itertools.islice(items, SERIAL_BATCH)):
                packed.extend(pack(result) for result in pool_many(batch, vocab))
            return PackedResults(packed)
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
    return pool_many([g], vocab, method, test, baseline_risk, with_sensitivity, rho)[0]


def pool_many(groups: list[Group], vocab: Vocabulary, method: str = DEFAULT_METHOD, test: str = DEFAULT_TEST,
              baseline_risk: float | None = None, with_sensitivity: bool = True,
              rho: float = DEFAULT_RHO) -> list[dict]:
    """``[pool(g, vocab, ...) for g in groups]``, the groups' leave-one-out fits done together.

    Leave-one-out is most of a small parameter's cost, in numpy's per-call
    overhead; :func:`evidence.stats.sensitivity.leave_one_out_many` pays it
    once for all analyses of one size. Every result is the one :func:`pool` gives alone.
    """
    fits = pooled.fit_many([_problem(g.rows, rho) for g in groups], method, test, LEVEL)
    if not with_sensitivity:
        return [describe(g, fit, vocab, test, baseline_risk, rho, None, risk)
                for g, fit, risk in zip(groups, fits, _control_risks(groups, baseline_risk))]
    problems = [_leave_one_out_problem(fit, method, test) for fit in fits]
    found = iter(sensitivity.leave_one_out_many([p for p in problems if p is not None]))
    loo = [next(found) if p is not None else [] for p in problems]
    wanted = [refits(g.rows, fit, rho) for g, fit in zip(groups, fits)]
    refitted = iter(pooled.fit_many([_problem(rows, r) for each in wanted for _, rows, r in each], method, test,
                                    LEVEL))
    labelled = [{label: next(refitted) for label, _, _ in each} for each in wanted]
    return [describe(g, fit, vocab, test, baseline_risk, rho, (omitted, by_label), risk)
            for g, fit, omitted, by_label, risk in zip(groups, fits, loo, labelled,
                                                       _control_risks(groups, baseline_risk))]


def _problem(rows: list[Row], rho: float) -> tuple:
    """The arguments of :func:`pooled.fit_many` for pooling ``rows``."""
    return [r.yi for r in rows], [r.vi for r in rows], [r.study for r in rows], [r.sample for r in rows], rho


def _control_risks(groups: list[Group], baseline_risk: float | None) -> list:
    """Each group's control risk pooled from its control arms (REML on their log odds), fitted together."""
    wanted = [i for i, g in enumerate(groups) if needs_control_risk(g.key.measure, g.rows, baseline_risk)]
    arms = [control_arms(groups[i].rows) for i in wanted]
    logits = [units.control_arm_logits([a[0] for a in arm], [a[1] for a in arm]) for arm in arms]
    out: list = [None] * len(groups)
    for i, fit in zip(wanted, rowwise.rma_many(logits, "REML", "z", LEVEL)):
        out[i] = units.control_risk(fit)
    return out


def _leave_one_out_problem(fit: pooled.PooledFit, method: str, test: str) -> tuple | None:
    """Leave one study out (on one effect per study): with the parameter's method, or for che-rve the one its
    fit used, and the z-test for che-rve. None below three studies."""
    if fit.k < 3:
        return None
    che = fit.model == "che-rve"
    return ([s.yi for s in fit.studies], [s.vi for s in fit.studies], [s.study for s in fit.studies],
            fit.method_used if che else method, "z" if che else test, LEVEL)
