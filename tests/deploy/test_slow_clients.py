"""Slow clients cannot starve the production server (issue 17).

Starts ``deploy/serve-production`` (gunicorn with ``deploy/gunicorn.conf.py``) on the
built test corpus (SQLite, ``--allow-sqlite``) on a free loopback port, opens more
half-open connections than there are workers (each sends part of a request's headers
and then nothing), and asks for ``/healthz``: it must be answered within a few seconds.

The same check against gunicorn with one *sync* worker must stall — the normal request
times out while the half-open connections are held — so this test would catch a return
to sync workers, and shows that the check can fail. All traffic goes to 127.0.0.1; every
socket has a timeout and the servers are stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from production_server import serving

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
HELD = WORKERS + 3  # half-open connections: more than the workers
ANSWER_WITHIN = 5.0  # seconds a normal request may take while they are held
PARTIAL_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-client-test\r\n"  # no blank line

pytestmark = pytest.mark.slow


def _healthz(port: int, timeout: float) -> int | None:
    """The status of GET /healthz; None when no answer came within ``timeout`` seconds, 0 when refused."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except TimeoutError:
        return None
    except urllib.error.URLError as exc:
        return None if isinstance(exc.reason, TimeoutError) else 0  # 0: refused or reset, no answer at all


@contextlib.contextmanager
def _server(settings, tmp_path: Path, extra: list[str], workers: int):
    """serve-production on a free port, healthy; stopped (by its own pid) afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVIDENCE_", "GUNICORN_", "WEB_CONCURRENCY"))}
    env.update({"EVIDENCE_DATA_DIR": str(settings.data_dir), "EVIDENCE_INSTANCE_DIR": str(settings.instance_dir),
                "EVIDENCE_DATABASE_URL": settings.database_url, "EVIDENCE_INDEX_DIR": str(settings.index_dir),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"})
    log_path = tmp_path / "gunicorn.log"  # one server per test
    with serving(["--allow-sqlite", "--workers", str(workers), "--", *extra], env, log_path,
                 lambda port: _healthz(port, 5) == 200, within=90, stop_within=40) as (port, _server):
        yield port, log_path


@contextlib.contextmanager
def _half_open(port: int, count: int):
    """``count`` connections that each send part of a request and then hold it, unfinished."""
    held = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(PARTIAL_REQUEST)
            held.append(s)
        time.sleep(1.0)  # let the server accept them and start reading, as a slow client's would be
        yield held
    finally:
        for s in held:  # closed: a worker blocked on one reads the end and is free again
            s.close()


def _answered_while_held(port: int) -> tuple[int | None, float]:
    with _half_open(port, HELD):
        started = time.monotonic()
        status = _healthz(port, ANSWER_WITHIN)
        return status, time.monotonic() - started


def test_production_workers_answer_while_slow_clients_hold_connections(built_settings, tmp_path):
    with _server(built_settings, tmp_path, [], WORKERS) as (port, log_path):
        status, took = _answered_while_held(port)
        assert status == 200, (f"/healthz not answered within {ANSWER_WITHIN} s while {HELD} half-open connections"
                               f" were held ({WORKERS} workers, deploy/gunicorn.conf.py):\n"
                               f"{log_path.read_text()[-3000:]}")
        assert took < ANSWER_WITHIN
        assert _healthz(port, 5) == 200, "still serving once they are gone"


def test_the_check_detects_starvation_with_one_sync_worker(built_settings, tmp_path):
    """The control: gunicorn's sync worker reads one request at a time, so one half-open client blocks it."""
    # --threads 1 too: with the config's threads (8) gunicorn quietly runs gthread instead of sync
    with _server(built_settings, tmp_path, ["--worker-class", "sync", "--threads", "1"], 1) as (port, log_path):
        status, took = _answered_while_held(port)
        assert status is None, (f"a sync worker answered ({status}) in {took:.1f} s while {HELD} half-open"
                                " connections were held: the check cannot see starvation")
        assert _healthz(port, 10) == 200, "answered again once the half-open connections closed"
