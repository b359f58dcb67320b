#!/usr/bin/env python3
"""Profile the build or the search on a synthetic corpus (cProfile), to see what limits a target.

    .venv/bin/python benchmarks/profiling.py build 1000     # profile `evidence build` on 1k studies
    .venv/bin/python benchmarks/profiling.py search 1000    # profile search() over the query mix
    .venv/bin/python benchmarks/profiling.py yaml 1000      # YAML: pure Python vs libyaml; full reader vs one pass

Generates the corpus if needed (benchmarks/data/<N>), builds into
benchmarks/work/profile-<N>/, writes the raw profile next to it and prints the
top functions by cumulative time. cProfile slows Python code down 2–3×, so read
the shares, not the absolute times; benchmarks/run gives the real times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import DEFAULT_SEED, generate  # noqa: E402


def _settings(n: int, fresh: bool):
    from evidence.config import load_settings

    data = ROOT / "benchmarks" / "data" / str(n)
    generate(n, data, DEFAULT_SEED)
    work = ROOT / "benchmarks" / "work" / f"profile-{n}"
    if fresh and work.exists():
        shutil.rmtree(work)
    return load_settings(env={}, data_dir=data, instance_dir=work / "instance"), work


def _report(profile: cProfile.Profile, path: Path, top: int) -> None:
    profile.dump_stats(str(path))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    print(out.getvalue())
    print(f"raw profile: {path} (open with `python -m pstats` or snakeviz)")


def profile_build(n: int, top: int) -> None:
    from evidence.build import build

    settings, work = _settings(n, fresh=True)
    work.mkdir(parents=True, exist_ok=True)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(build, settings)
    print(f"build of {n} studies under cProfile: {time.perf_counter() - started:.1f} s")
    _report(profile, work / "build.prof", top)


def profile_search(n: int, top: int, rounds: int) -> None:
    from benchmarks.inprocess import time_ours
    from evidence.build import build

    settings, work = _settings(n, fresh=False)
    if not (settings.index_dir).exists():
        build(settings)
    path = work / "search.prof"
    result = time_ours(str(settings.index_dir), rounds, str(path))
    print(f"search over the mix, {rounds} rounds: p50 {result['all']['p50']:.1f} ms, "
          f"p95 {result['all']['p95']:.1f} ms (under cProfile)")
    stats = pstats.Stats(str(path))
    out = io.StringIO()
    stats.stream = out
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    print(out.getvalue())
    print(f"raw profile: {path}")


def profile_yaml(n: int) -> None:
    """libyaml's parser against the pure-Python one, both through the app's own line-keeping walk; then the
    app's full reader against its one pass over libyaml's events (``yamlio.loads``)."""
    import yaml

    from evidence.records import yamlio

    settings, _ = _settings(n, fresh=False)
    paths = sorted((settings.data_dir / "studies").glob("*.yaml"))

    def loader_class(base):
        cls = type(f"Bench{base.__name__}", (base,), {})
        cls.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
        return cls

    def timed(base):
        cls = loader_class(base)

        def loads(text: str):
            loader = cls(text)
            try:
                node = loader.get_single_node()
            finally:
                loader.dispose()
            lines: dict = {}
            return yamlio.Loaded(yamlio._walk(node, "", lines, yamlio._Loader("")), lines)

        started = time.perf_counter()
        out = [loads(p.read_text(encoding="utf-8")) for p in paths]
        return out, time.perf_counter() - started

    pure, t_pure = timed(yaml.SafeLoader)
    fast, t_fast = timed(yaml.CSafeLoader)
    same = all(a.data == b.data and a.lines == b.lines for a, b in zip(pure, fast))
    print(f"{len(paths)} records: yaml.SafeLoader {t_pure:.2f} s, yaml.CSafeLoader {t_fast:.2f} s "
          f"({t_pure / t_fast:.1f}× faster); same data and line numbers: {same}; "
          f"the app uses {yamlio._Loader.__mro__[1].__name__}")
    texts = [p.read_text(encoding="utf-8") for p in paths]
    for name, read in (("full (guard, compose, walk)", yamlio.read_fully), ("one pass over the events", yamlio.loads)):
        started, cpu = time.perf_counter(), time.process_time()
        out = [read(text) for text in texts]
        print(f"yamlio {name}: {time.perf_counter() - started:.2f} s wall, {time.process_time() - cpu:.2f} s CPU")
    print("one pass == full, values and lines:",
          all(repr(a.data) == repr(b.data) and a.lines == b.lines for a, b in zip(out, map(yamlio.read_fully, texts))))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("build", "search", "yaml"))
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.what == "build":
        profile_build(args.n, args.top)
    elif args.what == "search":
        profile_search(args.n, args.top, args.rounds)
    else:
        profile_yaml(args.n)


if __name__ == "__main__":
    main()
