#!/usr/bin/env python3
"""Run ``evidence build`` (exactly what the CLI runs) and time its phases.

    python benchmarks/buildphases.py [--full]   # settings from EVIDENCE_* like the CLI

It calls ``evidence.build.build`` with the arguments ``evidence build`` passes
(incremental unless ``--full``, where the build supports it).

Prints one JSON line: the phases in seconds, the counts and the dataset
version. The phases come from wrapping the build's own functions in place,
so the work done is the CLI's work:

- ``validate``: ``load_corpus`` (YAML reading, schemas, vocabulary checks; in a full build also each
  record's effect sizes and rows, computed in this process while worker processes validate the next records)
- ``effects``: the rest of ``prepare`` (the dataset's hashes, the terms' rows)
- ``pooling``: ``groups.group``, ``pooling.pool_all`` and every ``pooling.pool`` call in this process
  (``peak_rss_mb_after``: this process's peak RSS when each phase last ended, to find where the peak is)
- ``database``: ``write_database`` (without the index, when the build writes it inside the transaction)
- ``index``: the search index (``evidence.search.indexer``'s build and swap,
  when the build has one), or whatever else ``build`` does after ``prepare``; where worker processes
  analyse the index's documents while the database is written (``index_writing``), only the wait for
  them and the writing of the index's files (``write_folder``): the rest is in ``database``
- ``incremental``: ``build_incremental`` (when the build found only some records changed)
- ``startup``: interpreter start and imports, before ``build`` is called

Beside the wall times: ``cpu_s``, each phase's CPU time (user + sys of this process and of the
worker processes it reaped meanwhile: the pooling workers), so runs on a loaded machine compare;
and ``rss_mb``, the largest resident set this process had while each phase ran (sampled from
``/proc/self/statm`` every 20 ms by a thread; the phases nest, so an outer phase's peak includes
its inner ones'). ``peak_rss_mb`` is the process's own ``ru_maxrss`` at the end.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import resource
import sys
import threading
import time

T0 = time.perf_counter()

TIMES: dict[str, float] = {}


DEPTH: dict[str, int] = {}
PEAK_MB: dict[str, float] = {}  # this process's peak RSS when each phase last ended
CPU: dict[str, float] = {}
RSS_MB: dict[str, float] = {}  # the largest sampled RSS while each phase ran
ACTIVE: set[str] = set()
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE_MB


def _sample(stop: threading.Event) -> None:
    while not stop.wait(0.02):
        now = _rss_mb()
        for phase in list(ACTIVE):
            if now > RSS_MB.get(phase, 0.0):
                RSS_MB[phase] = now


def _timed(phase: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        DEPTH[phase] = DEPTH.get(phase, 0) + 1
        ACTIVE.add(phase)
        start, cpu = time.perf_counter(), _cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            DEPTH[phase] -= 1
            if DEPTH[phase] == 0:  # pool_all calls pool in this process when it does not use workers: count once
                TIMES[phase] = TIMES.get(phase, 0.0) + time.perf_counter() - start
                CPU[phase] = CPU.get(phase, 0.0) + _cpu() - cpu
                ACTIVE.discard(phase)
                if phase == "index" and "database" in ACTIVE:  # written inside the database's transaction
                    TIMES["database"] = TIMES.get("database", 0.0) - (time.perf_counter() - start)
                    CPU["database"] = CPU.get("database", 0.0) - (_cpu() - cpu)
                RSS_MB[phase] = max(RSS_MB.get(phase, 0.0), _rss_mb())
            PEAK_MB[phase] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    wrapper.__wrapped_for_phase__ = True
    return wrapper


def _patch(module_names: list[str], name: str, phase: str) -> None:
    """Wrap ``name`` wherever the build can reach it (its module and any module that imported it)."""
    original = None
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        fn = getattr(module, name, None)
        if fn is None or getattr(fn, "__wrapped_for_phase__", False):
            continue
        original = original or fn
        if fn is original:
            setattr(module, name, _timed(phase, original))


def main() -> None:
    import argparse
    import inspect

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="as `evidence build --full`")
    args = parser.parse_args()
    from evidence import build as build_module
    from evidence.build import BuildError
    from evidence.config import load_settings

    build_modules = ["evidence.build", "evidence.incremental", "evidence.records.validate", "evidence.services.pooling",
                     "evidence.services.groups", "evidence.repool", "evidence.search.indexer", "evidence.search"]
    _patch(build_modules, "load_corpus", "validate")
    _patch(build_modules, "group", "pooling")
    _patch(build_modules, "pool", "pooling")
    _patch(build_modules, "pool_all", "pooling")  # over worker processes: their pool calls are not seen here
    _patch(build_modules, "write_database", "database")
    for name in ("build_aside", "swap", "build_index", "write_index", "write_folder"):
        _patch(build_modules, name, "index")
    _patch(["evidence.build"], "prepare", "prepare")
    _patch(["evidence.incremental", "evidence.build"], "build_incremental", "incremental")  # (build imports it)
    kwargs = {}
    if "incremental" in inspect.signature(build_module.build).parameters:
        kwargs["incremental"] = not args.full  # what `evidence build` does

    settings = load_settings()
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(stop,), daemon=True)
    sampler.start()
    started, started_cpu = time.perf_counter(), _cpu()
    try:
        prepared = build_module.build(settings, **kwargs)
    except BuildError as exc:
        for problem in exc.problems[:20]:
            print(problem, file=sys.stderr)
        sys.exit(1)
    total_build = time.perf_counter() - started
    total_cpu = _cpu() - started_cpu
    stop.set()
    sampler.join()
    prepare = TIMES.pop("prepare", 0.0)
    validate = TIMES.get("validate", 0.0)
    pooling = TIMES.get("pooling", 0.0)
    database = TIMES.get("database", 0.0)
    index = TIMES.get("index", 0.0)
    incremental = TIMES.get("incremental", 0.0)
    if getattr(prepared, "incremental", False):  # one phase: it validates, pools and writes only what changed
        validate = pooling = database = index = prepare = 0.0
    phases = {
        "startup": started - T0,
        "validate": validate,
        "effects": max(0.0, prepare - validate - pooling),
        "pooling": pooling,
        "database": database,
        "index": index,
        "incremental": incremental,
        "other": max(0.0, total_build - prepare - database - index - incremental),
    }
    prepare_cpu = CPU.pop("prepare", 0.0)
    cpu = {"validate": CPU.get("validate", 0.0),
           "effects": max(0.0, prepare_cpu - CPU.get("validate", 0.0) - CPU.get("pooling", 0.0)),
           "pooling": CPU.get("pooling", 0.0), "database": CPU.get("database", 0.0), "index": CPU.get("index", 0.0),
           "incremental": CPU.get("incremental", 0.0)}
    cpu["other"] = max(0.0, total_cpu - sum(cpu.values()))
    print(json.dumps({"phases": phases, "build": total_build, "counts": prepared.counts(),
                      "cpu_s": {phase: round(s, 1) for phase, s in cpu.items()}, "build_cpu_s": round(total_cpu, 1),
                      "rss_mb": {phase: round(mb) for phase, mb in RSS_MB.items()},
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "dataset_version": prepared.dataset_version,
                      "index_in_build": "index" in TIMES,
                      "peak_rss_mb_after": {phase: round(mb) for phase, mb in PEAK_MB.items()},
                      "incremental": bool(getattr(prepared, "incremental", False))}))


if __name__ == "__main__":
    main()
