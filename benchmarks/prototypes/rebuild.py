#!/usr/bin/env python3
"""Time each step of the proposed incremental rebuild after one study changes (not used by the app).

    .venv/bin/python benchmarks/prototypes/rebuild.py --data benchmarks/data/20000 --instance INSTANCE

``INSTANCE`` holds a full build of ``--data`` (``evidence.db`` and ``index``).
Nothing there is changed: the database is copied aside and the index is
hard-linked aside, as the design does before applying a delta. The steps,
each with the project's own code (docs/benchmarks.md, target 2):

1. hash every study file (to find what changed);
2. validate the changed file (``load_study``) and compute its effects (``_study``);
3. re-pool the parameters its effects belong to, before and after the change:
   the other studies of those parameters are read back from the database
   (their validated records), and ``pooling.group``/``pool`` run on them only;
4. the database delta: copy the SQLite file aside and, in one transaction,
   replace the study's rows and the affected parameters' rows;
5. the index delta: ``update_document`` for the study, one commit, in a
   hard-linked copy of the index.

Prints one JSON object with the seconds of each step and their sum.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--study", help="the study to change (default: the middle file; try one of the most "
                                        "studied intervention for the worst case)")
    args = parser.parse_args(argv)

    from evidence import build as B
    from evidence.records.validate import Corpus, StudyRecord, load_study, load_vocabulary
    from evidence.search.documents import documents
    from evidence.services import pooling

    data, instance = args.data.resolve(), args.instance.resolve()
    paths = sorted((data / "studies").glob("*.yaml"))
    changed = data / "studies" / f"{args.study}.yaml" if args.study else paths[len(paths) // 2]
    t: dict[str, float] = {}

    # 1. what changed
    started = time.perf_counter()
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    t["hash_all_files"] = time.perf_counter() - started

    # 2. validate and compute the changed study (vocabulary first, as the build does)
    started = time.perf_counter()
    corpus = Corpus()
    load_vocabulary(data / "vocabularies", corpus)
    vocab = corpus.vocabulary
    t["load_vocabulary"] = time.perf_counter() - started
    started = time.perf_counter()
    record = load_study(changed, corpus)
    assert record is not None and not corpus.problems, corpus.problems
    prepared = B.Prepared(corpus, "incremental")
    candidates, problems = [], []
    B._study(record, data, vocab, prepared, candidates, problems)
    t["validate_and_compute_one"] = time.perf_counter() - started

    # 3. re-pool the parameters it touches: read the other studies of those parameters back
    started = time.perf_counter()
    con = sqlite3.connect(f"file:{instance / 'evidence.db'}?mode=ro", uri=True)
    pairs = {(c[0], c[1]) for c in candidates}  # (intervention, outcome)
    others = set()
    for intervention, outcome in pairs:
        others.update(sid for (sid,) in con.execute(
            "SELECT DISTINCT study_id FROM effects WHERE intervention = ? AND outcome = ?", (intervention, outcome)))
    others.discard(record.data["id"])
    rows = con.execute(f"SELECT id, path, record FROM studies WHERE id IN ({','.join('?' * len(others))})",
                       sorted(others)).fetchall() if others else []
    t["read_back_related_studies"] = time.perf_counter() - started
    started = time.perf_counter()
    for _sid, path, rec in rows:
        B._study(StudyRecord(data / path, json.loads(rec)), data, vocab, prepared, candidates, problems)
    touched = {(c[0], c[1], c[2], c[3], c[4]) for c in candidates[: len(candidates)] if c[5].study == record.data["id"]}
    groups = [g for g in pooling.group(candidates, vocab)
              if (g.key.intervention, g.key.outcome, g.key.comparison, g.key.followup, g.key.measure) in touched]
    parameters = [pooling.pool(g, vocab) for g in groups]
    t["repool_touched_parameters"] = time.perf_counter() - started

    with tempfile.TemporaryDirectory(dir=instance.parent) as tmp:
        tmp = Path(tmp)
        # 4. database delta in a copy, one transaction
        started = time.perf_counter()
        db = tmp / "evidence.db"
        shutil.copyfile(instance / "evidence.db", db)
        t["copy_database"] = time.perf_counter() - started
        started = time.perf_counter()
        w = sqlite3.connect(db)
        with w:
            sid = record.data["id"]
            w.execute("DELETE FROM effects WHERE study_id = ?", (sid,))
            w.execute("UPDATE studies SET record = ? WHERE id = ?", (json.dumps(B._jsonable(record.data)), sid))
            cols = [r[1] for r in w.execute("PRAGMA table_info(effects)") if r[1] != "id"]
            for e in prepared.effects:
                if e["study_id"] == sid:
                    w.execute(f"INSERT INTO effects ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                              [json.dumps(e[c]) if isinstance(e.get(c), (dict, list)) else e.get(c) for c in cols])
            for p in parameters:
                row = B._parameter_row(p)
                w.execute("DELETE FROM parameters WHERE id = ?", (row["id"],))
                w.execute(f"INSERT INTO parameters ({','.join(row)}) VALUES ({','.join('?' * len(row))})",
                          [json.dumps(v) if isinstance(v, (dict, list)) else v for v in row.values()])
        w.close()
        t["database_delta"] = time.perf_counter() - started

        # 5. index delta in a hard-linked copy
        from whoosh.filedb.filestore import FileStorage

        started = time.perf_counter()
        src = Path(os.path.realpath(instance / "index"))
        index_copy = tmp / "index"
        index_copy.mkdir()
        for f in src.iterdir():
            os.link(f, index_copy / f.name)
        t["link_index"] = time.perf_counter() - started
        started = time.perf_counter()
        prepared.studies = [s for s in prepared.studies if s["id"] == record.data["id"]]
        prepared.terms = B._terms(corpus)
        prepared.parameters = parameters
        doc = documents(prepared)[0]
        ix = FileStorage(str(index_copy)).open_index()
        writer = ix.writer()
        writer.update_document(**doc)
        writer.commit()
        t["index_delta"] = time.perf_counter() - started
    con.close()
    out = {"studies": len(paths), "changed": changed.name, "related_studies": len(rows),
           "parameters_repooled": len(parameters), "seconds": t, "total": sum(t.values()),
           "files_hashed": len(hashes)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
