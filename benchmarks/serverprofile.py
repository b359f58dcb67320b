#!/usr/bin/env python3
"""Where the server's memory goes, per mapping and per allocation site (issue 16: server PSS at 100k).

    .venv/bin/python benchmarks/serverprofile.py smaps  benchmarks/work/20000/instance benchmarks/data/20000
    .venv/bin/python benchmarks/serverprofile.py worker benchmarks/work/20000/instance benchmarks/data/20000

``smaps`` starts gunicorn as :mod:`benchmarks.memory` does (``deploy/gunicorn.conf.py``, 3 workers),
sends the same distinct mix (every request a cache miss), then reads ``/proc/<pid>/smaps`` of the
master and each worker and prints PSS (and RSS) per group of mappings: each index file by name
(``postings/<field>.<column>.npy``, the cards), the Python heap and other anonymous memory, shared
libraries. File-backed pages of the index are shared (each counted once in the sum of PSS).

``worker`` reproduces one worker in this process: ``create_app`` and the two warm-up searches the
master does before forking (``deploy/gunicorn.conf.py``), ``gc.freeze()``, then the same requests
through Flask's test client, with ``tracemalloc`` snapshots before and after; it prints the
anonymous memory (``Pss_Anon``) at each step, the largest allocation sites of the growth, and the
modules imported that a server could do without. tracemalloc makes it slow: ~10 minutes at 20k
studies on a loaded 2-core machine (``smaps``: ~20 s).
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench, loadgen, memory, queries  # noqa: E402

HEADER = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$")


def mappings(pid: int) -> list[tuple[str, dict]]:
    """``(path or [kind], {field: kB})`` of every mapping of the process."""
    out: list[tuple[str, dict]] = []
    with open(f"/proc/{pid}/smaps", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            head = HEADER.match(line)
            if head:
                out.append((head.group(1).strip() or "[anon]", {}))
                continue
            key, _, value = line.partition(":")
            parts = value.split()
            if out and len(parts) == 2 and parts[1] == "kB":
                out[-1][1][key] = int(parts[0])
    return out


def group(path: str, index: str) -> str:
    """A mapping's group: an index file by its name under the index, a library by package, else its kind."""
    if path.startswith(index):
        rel = path[len(index):].lstrip("/")
        return "index:" + rel.split("/", 1)[1] if "/" in rel else "index:" + rel  # drop the version folder
    if path.startswith("["):
        return path if path in ("[heap]", "[anon]", "[stack]") else "[other special]"
    if "site-packages/" in path:
        return "lib:" + path.split("site-packages/", 1)[1].split("/", 1)[0]
    if path.startswith("/dev/shm"):
        return "[/dev/shm]"
    return "lib:" + Path(path).name.split(".")[0] if ".so" in path else "file:" + Path(path).name


def smaps(instance: Path, data: Path) -> None:
    env = bench.evidence_env(instance, data, None)
    mix = queries.distinct_mix(data, 100, 7)
    urls = [[q.name, q.category, url(q)] for url in (queries.app_page_url, queries.app_api_url) for q in mix]
    index = str((instance / "index").resolve().parent)
    with bench.gunicorn("deploy.wsgi:app", env, 3, instance.parent / "gunicorn-profile.log") as (port, master):
        loadgen.run("127.0.0.1", port, urls, 8, duration=600, max_requests=len(urls), partition=True)
        pids = [master, *bench._children(master)]
        per = {pid: mappings(pid) for pid in pids}
    table: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for n, pid in enumerate(pids):
        name = "master" if n == 0 else f"worker{n}"
        for path, f in per[pid]:
            row = table[group(path, index)]
            row[name] += f.get("Pss", 0) / 1024
            row["pss"] += f.get("Pss", 0) / 1024
            row["private"] += (f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)) / 1024
            row["rss_max"] = max(row["rss_max"], f.get("Rss", 0) / 1024)
    names = ["master"] + [f"worker{n}" for n in range(1, len(pids))]
    print(f"{len(urls)} requests, {len(pids)} processes; PSS in MB (private: pages one process alone maps, "
          "summed; rss_max: the most one process has resident)")
    print(f"{'group':44} {'pss':>8} {'private':>8} " + " ".join(f"{n:>8}" for n in names) + f" {'rss_max':>8}")
    total = defaultdict(float)
    for key, row in sorted(table.items(), key=lambda kv: -kv[1]["pss"]):
        for k, v in row.items():
            total[k] += v
        if row["pss"] >= 0.5:
            print(f"{key[:44]:44} {row['pss']:8.1f} {row['private']:8.1f} "
                  + " ".join(f"{row[n]:8.1f}" for n in names) + f" {row['rss_max']:8.1f}")
    print(f"{'total':44} {total['pss']:8.1f} {total['private']:8.1f} " + " ".join(f"{total[n]:8.1f}" for n in names))


def anon_mb() -> float:
    return memory.rollup(os.getpid())["Pss_Anon"]


def worker(instance: Path, data: Path, top: int = 25) -> None:
    os.environ.update(bench.evidence_env(instance, data, None))
    steps = {"python": anon_mb()}
    from evidence.app import create_app
    from evidence.services.search import search

    app = create_app()
    steps["create_app"] = anon_mb()
    holder = app.extensions["evidence.search"]
    search(holder, q="")
    search(holder, q="spellingwarmup")
    gc.collect()
    gc.freeze()
    steps["warm (as the master before fork)"] = anon_mb()
    mix = queries.distinct_mix(data, 100, 7)
    urls = [url(q) for url in (queries.app_page_url, queries.app_api_url) for q in mix]
    tracemalloc.start(8)
    before = tracemalloc.take_snapshot()
    client = app.test_client()
    statuses: dict[int, int] = defaultdict(int)
    for url in urls:
        statuses[client.get(url).status_code] += 1
    gc.collect()
    after = tracemalloc.take_snapshot()
    steps[f"after {len(urls)} requests"] = anon_mb()
    print(json.dumps({"anon_mb": {k: round(v, 1) for k, v in steps.items()}, "statuses": statuses}))
    opened = holder.current()
    caches = {"ranked": opened.ranked, "spelling": opened.spelling,
              "pages": app.extensions.get("evidence.page_cache")}
    print("caches:", {k: (len(c.entries), round(c.weight / 2**20, 1)) for k, c in caches.items() if c is not None})
    diff = after.compare_to(before, "traceback")
    print(f"tracemalloc growth: {sum(d.size_diff for d in diff) / 2**20:.1f} MB; the largest sites:")
    for d in diff[:top]:
        frames = [f"{Path(f.filename).name}:{f.lineno}" for f in d.traceback if "importlib" not in f.filename][:4]
        print(f"  {d.size_diff / 2**20:7.2f} MB {d.count_diff:8d} blocks  {' < '.join(frames)}")
    heavy = ("scipy", "openpyxl", "bibtexparser", "pylatexenc", "rispy", "importers", "yaml", "multiprocessing",
             "evidence.build", "evidence.stats", "evidence.export", "evidence.records", "evidence.curation")
    print("imported:", {h: sum(1 for m in sys.modules if m == h or m.startswith(h + ".")) for h in heavy})


if __name__ == "__main__":
    mode, instance, data = sys.argv[1], Path(sys.argv[2]).resolve(), Path(sys.argv[3]).resolve()
    {"smaps": smaps, "worker": worker}[mode](instance, data)
