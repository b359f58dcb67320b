"""``deploy/serve-production`` started for a test: on a free loopback port, healthy, stopped afterwards."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(args: list[str], env: dict, log_path: Path, healthy: Callable[[int], bool], within: float,
            stop_within: float):
    """Yields ``(port, server)`` once ``healthy(port)``; fails with the server's log if it exits or is not
    healthy ``within`` seconds. Stopped with SIGTERM (killed after ``stop_within`` seconds)."""
    port = free_port()
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([str(ROOT / "deploy" / "serve-production"), "--bind", f"127.0.0.1:{port}", *args],
                                  env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + within
        while not healthy(port):
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"not healthy after {within:g} s:\n{log_path.read_text()}"
            time.sleep(0.25)
        yield port, server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(stop_within)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
