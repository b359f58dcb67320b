"""Fault injection: ``evidence build`` killed with SIGKILL at sampled points while the app serves.

Every request must succeed, the database and the index the app reads must
always be of one build, and the next build must repair and leave nothing
behind. The kill points are spread over a build's measured duration
(stratified: one random point in each slice, after the interpreter has
started), full and incremental builds,
so they fall before, during and after the database and index writes and the
publishing step; and a kill 0-20 ms after each step the build reports
(``EVIDENCE_BUILD_TRACE``). ``EVIDENCE_CRASH_KILLS`` sets the random kills per
kind (default 4).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from evidence import create_app, versions
from evidence.build import build
from evidence.publish import Layout, check_index, check_sqlite

KILLS = int(os.environ.get("EVIDENCE_CRASH_KILLS", "4"))
URLS = ["/healthz", "/", "/search?q=recidivism", "/studies/guerra-1990", "/interventions",
        "/api/v1/search?q=cbt", "/api/v1/studies?per_page=5"]
#: The steps each kind of build reports (EVIDENCE_BUILD_TRACE), in order; a kill follows each one.
STEPS = {True: ["locked", "prepared", "indexed", "written", "checked", "switched"],
         False: ["locked", "copied", "delta written", "written", "checked", "switched"]}


def _env(settings, trace: Path | None = None) -> dict:
    env = {**os.environ, "EVIDENCE_DATA_DIR": str(settings.data_dir),
           "EVIDENCE_INSTANCE_DIR": str(settings.instance_dir), "EVIDENCE_DATABASE_URL": settings.database_url,
           "EVIDENCE_INDEX_DIR": str(settings.index_dir)}
    if trace is not None:
        env["EVIDENCE_BUILD_TRACE"] = str(trace)
    return env


#: A build server: imports everything once, then forks one ``evidence build`` per line it reads
#: ("full" or "incremental"), printing the child's pid and then its exit status. Forking from
#: this single-threaded process spares each build the interpreter's start (about a second).
ZYGOTE = """
import os, sys
from evidence.cli import main
import evidence.build, evidence.incremental, evidence.commands
for line in sys.stdin:
    args = ["build", "--full"] if line.strip() == "full" else ["build"]
    pid = os.fork()
    if pid == 0:
        sys.stdin.close()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        try:
            main(args=args, standalone_mode=True)
        except SystemExit as exc:
            os._exit(exc.code if isinstance(exc.code, int) else 1)
        os._exit(0)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


class Builder:
    """Runs and kills builds through the :data:`ZYGOTE`."""

    def __init__(self, settings, trace: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], env=_env(settings, trace), text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def start(self, full: bool) -> int:
        self.proc.stdin.write("full\n" if full else "incremental\n")
        self.proc.stdin.flush()
        self.pid, self.code = int(self.proc.stdout.readline()), None
        return self.pid

    def running(self) -> bool:
        return not _ended(self.pid)

    def kill(self) -> int:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.wait()

    def wait(self) -> int:
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)
        self.proc.stdout.close()


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait_for(proc: Builder, trace: Path, step: str) -> bool:
    """Wait until the build reports ``step``; False if it ended first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if trace.exists() and step in trace.read_text().split("\n"):
            return True
        if not proc.running():
            return False
        time.sleep(0.001)
    raise AssertionError(f"the build never reached {step}")


def _consistent(settings) -> str:
    """The published pair is whole and of one build; its version."""
    version = versions.resolve(settings)
    versions.verify_content(version)
    studies = check_sqlite(version.database_path, version.dataset_version)
    check_index(version.index_dir, version.dataset_version, studies)
    return version.dataset_version


def _repair(builder) -> None:
    """An incremental build run to the end: it must clear what the kills left and repair the pair."""
    builder.start(False)
    assert builder.wait() == 0
    time.sleep(0.2)  # the reader sees the repaired pair too


def _stop(reader, builder, app) -> None:
    reader.stop.set()
    reader.join(30)
    builder.close()
    app.extensions["evidence.read"].dispose()


class Reader(threading.Thread):
    """Requests the app without pause; records every failure and every version pair it saw."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.client = app.test_client()
        self.stop = threading.Event()
        self.requests, self.failures, self.pairs = 0, [], set()

    def run(self):
        while not self.stop.is_set():
            for url in URLS:
                response = self.client.get(url)
                self.requests += 1
                time.sleep(0.002)  # a steady reader, not one that takes the build's core
                if response.status_code != 200:
                    self.failures.append((url, response.status_code, response.get_data(as_text=True)[:300]))
                elif url == "/healthz":
                    self.pairs.add((response.json["database_version"], response.json["index_version"]))


def _edit(data_dir: Path, i: int) -> None:
    """A new version of one record (a note in the private copy of the data): an incremental build has work."""
    path = data_dir / "studies" / "aronson-1948.yaml"
    lines = path.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("  quality_notes:"))
    lines[at] = f"  quality_notes: Allocation coded 'random' in the dataset (test edit {i})."
    path.write_text("\n".join(lines) + "\n")


def _leftovers(settings) -> list[str]:
    layout = Layout.of(settings)
    current, previous = (os.readlink(link) for link in (layout.current, layout.previous))
    allowed = {layout.current.name, layout.previous.name, f".{layout.index_link.name}.lock", current, previous,
               layout.index_link.name, *([settings.sqlite_path.name] if settings.sqlite_path else []),
               "secret_key", "curation.db"}  # the write side's own files (docs/contributing.md), not a build's
    return sorted(set(os.listdir(layout.root)) - allowed)


@pytest.fixture
def sqlite_settings(settings):
    if settings.sqlite_path is None:
        pytest.skip("the SQLite half (PostgreSQL: test_postgres_builds_killed_at_every_step_are_repaired)")
    return settings


@pytest.fixture
def postgres_settings(settings):
    if settings.sqlite_path is not None:
        pytest.skip("the PostgreSQL half")
    return settings


def _smaller(data_dir: Path, keep: int = 40) -> None:
    """Fewer studies in the private copy (the build's steps are the same; the test runs in CI time)."""
    wanted = {"aronson-1948.yaml", "guerra-1990.yaml"}
    for n, path in enumerate(sorted((data_dir / "studies").glob("*.yaml"))):
        if n >= keep and path.name not in wanted:
            path.unlink()


def test_kill_9_at_sampled_points_never_breaks_the_read_side(sqlite_settings, data_dir):
    settings = sqlite_settings
    _smaller(data_dir)
    build(settings)
    first = _consistent(settings)
    app = create_app(settings, TESTING=True)
    reader = Reader(app)
    reader.start()
    rng = random.Random(int(os.environ.get("EVIDENCE_CRASH_SEED", "17")))
    report = {"kills": 0, "killed_while_running": 0, "versions": {first}}
    trace = settings.instance_dir.parent / "trace"
    builder = Builder(settings, trace)
    try:
        for full in (True, False):
            started = time.monotonic()  # one build run to the end: how long a build takes
            _edit(data_dir, report["kills"])
            builder.start(full)
            assert builder.wait() == 0
            duration = time.monotonic() - started
            # a kill just after each step (0-20 ms later), then KILLS at random points of the whole run
            plan = [(step, None) for step in STEPS[full]] + [
                (None, duration * (k + rng.random()) / KILLS) for k in range(KILLS)]
            for step, delay in plan:
                _edit(data_dir, report["kills"] + 1)
                trace.unlink(missing_ok=True)
                builder.start(full)
                if step is not None:
                    assert _wait_for(builder, trace, step), f"the build ended before {step}"
                    time.sleep(rng.random() * 0.02)
                else:
                    time.sleep(delay)
                if builder.running():
                    report["killed_while_running"] += 1
                builder.kill()
                report["kills"] += 1
                steps = trace.read_text().split("\n")[:-1] if trace.exists() else []
                last = f"after {steps[-1]}" if steps else "before locking"
                report[last] = report.get(last, 0) + 1
                report["versions"].add(_consistent(settings))
        _repair(builder)
        report["versions"].add(_consistent(settings))
    finally:
        _stop(reader, builder, app)
    report.update(requests=reader.requests, failures=len(reader.failures), versions=len(report["versions"]))
    print(json.dumps(report))
    assert reader.failures == [], reader.failures[:5]
    assert reader.requests > 50
    assert all(db == ix for db, ix in reader.pairs), reader.pairs
    assert report["killed_while_running"] >= len(STEPS[True]) + len(STEPS[False]), report
    assert _leftovers(settings) == []
    assert not list(Path(settings.instance_dir).rglob("*-journal"))
    # the repaired build is the data as it now is: a full build gives the same version
    fresh = build(settings, incremental=False)
    assert fresh.dataset_version == _consistent(settings)


def _pair(settings) -> tuple[str, str]:
    """(the database's version, the published index's version): PostgreSQL commits before publishing."""
    from sqlalchemy import text

    from evidence.db.session import make_engine

    version = versions.resolve(settings)
    versions.verify_content(version)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            db = conn.execute(text("SELECT dataset_version FROM build_info")).scalar_one()
    finally:
        engine.dispose()
    return db, version.dataset_version


def test_postgres_builds_killed_at_every_step_are_repaired(postgres_settings, data_dir):
    """PostgreSQL: one transaction, the index published after the commit. A kill between the two leaves
    the database newer than the index: pages keep answering, /healthz says so, the next build repairs."""
    settings = postgres_settings
    _smaller(data_dir)
    build(settings)
    app = create_app(settings, TESTING=True)
    reader = Reader(app)
    reader.start()
    trace = settings.instance_dir.parent / "trace"
    builder = Builder(settings, trace)
    rng = random.Random(17)
    report = {"kills": 0, "left mismatched": 0}
    try:
        for full in (True, False):
            for step in STEPS[full]:
                _edit(data_dir, report["kills"] + 1)
                trace.unlink(missing_ok=True)
                builder.start(full)
                assert _wait_for(builder, trace, step), f"the build ended before {step}"
                time.sleep(rng.random() * 0.02)
                builder.kill()
                report["kills"] += 1
                db, index = _pair(settings)
                if db != index:
                    # the kill came after the commit: the next build would be a full one (the repair), and
                    # the next step of an incremental build would never come. Repair it now.
                    report["left mismatched"] += 1
                    _repair(builder)
        _repair(builder)
        db, index = _pair(settings)
        assert db == index, "the next build repairs a mismatch"
    finally:
        _stop(reader, builder, app)
    print(json.dumps({**report, "requests": reader.requests, "failures": len(reader.failures)}))
    pages = [f for f in reader.failures if f[0] != "/healthz"]
    assert pages == [], pages[:5]
    assert all(f[1] == 503 and "version" in f[2] for f in reader.failures), reader.failures[:3]
    assert _leftovers(settings) == []
