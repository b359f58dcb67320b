#!/usr/bin/env python3
"""A large CSV import's dry run: wall time, CPU time and peak memory of a fresh ``evidence`` process.

    .venv/bin/python benchmarks/importscale.py [--rows 45296] [--data data] [--profile out.prof]

Writes a SYNTHETIC extraction CSV (metafor escalc columns: random 2×2 counts, invented
study names "Synthetic<i> (<year>)", one new study per row; about 5 MB at the default
45,296 rows, the size docs/importing.md quotes) into a temporary folder, copies the
data folder (default: the repository's ``data/``) beside it so nothing can touch the
real one, and runs ``evidence import csv FILE --dry-run`` once in a child process.
Prints one JSON line: rows, file size, wall and CPU seconds (user + system, the child's
own, from ``wait4``) and the child's peak RSS. The target (issue 17): under 20 s and
300 MB. On a shared machine compare CPU, not wall.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEADER = ("study,doi,bibkey,design,country,timepoint_months,intervention,target_group,outcome,comparison,measure,"
          "ai,bi,ci,di,n1i,n2i,m1i,sd1i,m2i,sd2i,yi,vi,sei\n")


def synthetic_csv(path: Path, rows: int, seed: int = 17) -> Path:
    """SYNTHETIC rows (random counts, invented names): for timing only, never data."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(rows):
            fh.write(f"Synthetic{i} ({1950 + i % 70}),,,rct,Denmark,12,cbt-offenders,juvenile-offenders,recidivism,"
                     f"control,OR,{rng.randint(1, 50)},{rng.randint(51, 200)},{rng.randint(1, 50)},"
                     f"{rng.randint(51, 200)},,,,,,,,,\n")
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=45_296)
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="data folder to copy (default: data/)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the child here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="importscale-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        shutil.copytree(args.data, data)
        csv_path = synthetic_csv(tmp / "synthetic.csv", args.rows)
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
        env.update({"EVIDENCE_DATA_DIR": str(data), "EVIDENCE_IMPORT_MAX_MB": "100", "USER": "benchmark"})
        cmd = [str(BIN / "evidence"), "import", "csv", str(csv_path), "--source", "SYNTHETIC benchmark data",
               "--dry-run"]
        if args.profile:
            cmd = [sys.executable, "-m", "cProfile", "-o", str(args.profile), *cmd]  # the entry point is a script
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # the output is short (one line per study): drain it, then reap the child with its own rusage
        out = proc.stdout.read()
        err = proc.stderr.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"the import failed ({code}):\n{err[-2000:]}")
        with open("/proc/loadavg", encoding="ascii") as fh:
            load = fh.read().split()[:3]
        print(json.dumps({
            "rows": args.rows, "file_mb": round(csv_path.stat().st_size / 1e6, 2),
            "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "user_s": round(usage.ru_utime, 2), "sys_s": round(usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "load_average": load,
            "last_line": out.strip().splitlines()[-1] if out.strip() else "",
        }))


if __name__ == "__main__":
    main()
