#!/usr/bin/env python3
"""Every cold-mix answer hashed, to check that a change leaves the pages and the API byte for byte as they were.

    .venv/bin/python benchmarks/samebytes.py INSTANCE DATA --save before.json
    (change the code)
    .venv/bin/python benchmarks/samebytes.py INSTANCE DATA --compare before.json

``INSTANCE`` is a built instance (only read), ``DATA`` its corpus folder. Flask's test client sends each
query of ``queries.distinct_mix(DATA, 100, 7)`` as a search page in Danish, in English and as an API
search, and keeps each answer's status and SHA-256. ``--compare`` prints the URLs whose answer differs and
exits with 1 if any does. A performance change to rendering or searching should leave all of them alike.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench, queries  # noqa: E402


def answers(instance: Path, data: Path) -> dict[str, list]:
    os.environ.update(bench.evidence_env(instance.resolve(), data.resolve(), None))
    from evidence.app import create_app

    client = create_app().test_client()
    out = {}
    for q in queries.distinct_mix(data, 100, 7):
        page = queries.app_page_url(q)
        for url in (page, f"{page}&lang=en", queries.app_api_url(q)):
            response = client.get(url)
            out[url] = [response.status_code, hashlib.sha256(response.data).hexdigest()]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("data", type=Path)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", type=Path, help="write the hashes to this file")
    what.add_argument("--compare", type=Path, help="compare with the hashes in this file")
    args = parser.parse_args(argv)
    now = answers(args.instance, args.data)
    if args.save:
        args.save.write_text(json.dumps(now, indent=0, sort_keys=True), encoding="utf-8")
        print(f"{len(now)} answers hashed -> {args.save}")
        return 0
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    differ = sorted(url for url in before.keys() | now.keys() if before.get(url) != now.get(url))
    for url in differ:
        print(f"differs: {url}  {before.get(url)} -> {now.get(url)}")
    print(f"{len(now)} answers, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
