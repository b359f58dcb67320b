"""The production setup under load: gunicorn with several workers against PostgreSQL.

Builds the repository's corpus into the PostgreSQL database named by
``EVIDENCE_TEST_DATABASE_URL`` with ``evidence build``, starts
``deploy/serve-production`` (gunicorn, ``deploy/gunicorn.conf.py``, 4 workers)
on a free loopback port, and drives 50 concurrent clients for 60 seconds
(``EVIDENCE_LOAD_TEST_SECONDS`` shortens it while developing; CI runs the full
minute) over health checks, search pages, the JSON search and study pages.
Every page of the mix must exist (200 before the load starts) and every response
under load must be a 2xx: a 404 counts as an error like a 500. Zero errors, zero
worker timeouts.

All traffic goes to 127.0.0.1, and the load is bounded in time and count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from production_server import serving

from benchmarks.loadgen import run

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("EVIDENCE_TEST_DATABASE_URL")
SECONDS = float(os.environ.get("EVIDENCE_LOAD_TEST_SECONDS") or 60)
CLIENTS = 50
WORKERS = 4
MAX_REQUESTS = 200_000  # a bound on the count as well as the time

#: What a reader does: health checks (the load balancer), searches in both languages
#: with facets, the JSON search, and study and intervention pages.
URLS = [
    ["healthz", "health", "/healthz"],
    ["search-en", "search", "/search?q=recidivism"],
    ["search-da-facet", "search", "/search?q=tilbagefald&target_group=offenders"],
    ["search-sort-year", "search", "/search?q=vaccine&sort=year&lang=en"],
    ["search-no-hit", "search", "/search?q=zyxquarkplasma"],
    ["api-search", "api", "/api/v1/search?q=CBT&outcome=recidivism"],
    ["study", "page", "/studies/guerra-1990"],
    ["intervention", "page", "/interventions/cbt-offenders"],
]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.fixture
def production(tmp_path):
    if not POSTGRES_URL:
        pytest.skip("set EVIDENCE_TEST_DATABASE_URL to a PostgreSQL database (scripts/with-postgres does)")
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update({
        "EVIDENCE_DATA_DIR": str(ROOT / "data"),
        "EVIDENCE_INSTANCE_DIR": str(tmp_path / "instance"),
        "EVIDENCE_DATABASE_URL": POSTGRES_URL,
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    })
    built = subprocess.run([str(bin_dir / "evidence"), "build"], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    log_path = tmp_path / "gunicorn.log"
    with serving(["--workers", str(WORKERS)], env, log_path, lambda port: _get(port, "/healthz") == 200,
                 within=60, stop_within=30) as (port, server):
        yield port, server, log_path


def test_fifty_clients_for_a_minute_get_no_errors(production):
    port, server, log_path = production
    # Every page of the mix exists: a 404 (a renamed record, a moved route) fails here, before the load,
    # rather than thinning the mix; under load any status outside 2xx counts as an error (benchmarks/loadgen.py).
    statuses = {path: _get(port, path) for _name, _category, path in URLS}
    wrong = {path: status for path, status in statuses.items() if status != 200}
    assert not wrong, f"pages of the load mix that do not answer 200: {wrong}\n{log_path.read_text()[-4000:]}"
    urls = [list(u) for u in URLS]

    result = run("127.0.0.1", port, urls, concurrency=CLIENTS, duration=SECONDS, max_requests=MAX_REQUESTS)

    log = log_path.read_text(encoding="utf-8", errors="replace")
    summary = (f"{result['requests']} requests in {result['elapsed_s']:.1f} s ({result['rps']:.0f}/s), "
               f"p95 {result['latency_ms']['p95']:.0f} ms; errors {result['errors']} {result['error_statuses']} "
               f"{result['failures'][:5]}; urls {[u[0] for u in urls]}")
    print(summary)
    assert result["errors"] == 0 and not result["error_statuses"], summary + "\n" + log[-4000:]
    assert result["ok"] > 0 and result["elapsed_s"] >= SECONDS * 0.9, summary
    assert "WORKER TIMEOUT" not in log, log[-4000:]
    assert server.poll() is None, "gunicorn stopped during the load"
    assert _get(port, "/healthz") == 200
