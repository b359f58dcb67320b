#!/usr/bin/env python3
"""A small, bounded HTTP load generator for loopback servers (no dependencies).

    python benchmarks/loadgen.py --port 8000 --urls urls.json --concurrency 8 --duration 20

``urls.json`` is a list of ``[name, category, path]``. Each of ``concurrency``
client threads keeps one HTTP/1.1 connection (reopened when the server closes
it, as gunicorn's sync workers do after every response) and walks the list in
order, starting at its own offset, until ``--duration`` seconds or
``--max-requests`` requests, whichever comes first. Every request's latency is
the time from sending the request to having read the whole response body.

Only loopback addresses are allowed: this tool never sends traffic elsewhere.
Prints one JSON object: counts, errors, requests per second, and latency
percentiles overall and per category (milliseconds).
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import math
import socket
import threading
import time


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0–100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(latencies_ms: list[float]) -> dict:
    return {"n": len(latencies_ms), "p50": percentile(latencies_ms, 50), "p95": percentile(latencies_ms, 95),
            "p99": percentile(latencies_ms, 99), "max": max(latencies_ms) if latencies_ms else None,
            "mean": sum(latencies_ms) / len(latencies_ms) if latencies_ms else None}


def _check_loopback(host: str) -> None:
    addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_loopback:
            raise SystemExit(f"refusing to send load to {host} ({address}): loopback only")


def run(host: str, port: int, urls: list, concurrency: int, duration: float, max_requests: int,
        timeout: float = 30.0, rounds: int | None = None, partition: bool = False) -> dict:
    """Drive the server; ``rounds`` (if given) caps each thread at that many passes over ``urls``.

    ``partition``: each thread sends its own share of ``urls`` (every ``concurrency``-th), each once, so
    no URL is sent twice in the run (for measuring with every request a cache miss).
    """
    _check_loopback(host)
    deadline = time.perf_counter() + duration
    lock = threading.Lock()
    issued = 0
    records: list[tuple[str, str, int, float]] = []  # name, category, status (0 = failed), ms
    failures: list[str] = []

    def take() -> bool:
        nonlocal issued
        with lock:
            if issued >= max_requests or time.perf_counter() >= deadline:
                return False
            issued += 1
            return True

    def client(k: int) -> None:
        conn = None
        local = []
        mine = urls[k::concurrency] if partition else urls
        i = 0 if partition else k * max(1, len(urls) // concurrency)
        limit = len(mine) if partition else None if rounds is None else rounds * len(urls)
        done = 0
        while (limit is None or done < limit) and take():
            name, category, path = mine[i % len(mine)]
            i += 1
            done += 1
            start = time.perf_counter()
            status = 0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                conn.request("GET", path, headers={"Accept-Encoding": "identity"})
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                if conn is not None:
                    conn.close()
                conn = None
                with lock:
                    if len(failures) < 20:
                        failures.append(f"{path}: {exc.__class__.__name__}: {exc}")
            local.append((name, category, status, (time.perf_counter() - start) * 1000))
        if conn is not None:
            conn.close()
        with lock:
            records.extend(local)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 5)
    elapsed = time.perf_counter() - started
    ok = [r for r in records if 200 <= r[2] < 300]
    errors = [r for r in records if not 200 <= r[2] < 300]
    by_category: dict[str, list[float]] = {}
    by_name: dict[str, list[float]] = {}
    for name, category, _status, ms in ok:
        by_category.setdefault(category, []).append(ms)
        by_name.setdefault(name, []).append(ms)
    statuses: dict[str, int] = {}
    for r in errors:
        statuses[str(r[2])] = statuses.get(str(r[2]), 0) + 1
    return {
        "concurrency": concurrency, "requests": len(records), "ok": len(ok), "errors": len(errors),
        "error_statuses": statuses, "failures": failures, "elapsed_s": elapsed,
        "rps": len(ok) / elapsed if elapsed else None,
        "latency_ms": summarize([r[3] for r in ok]),
        "by_category": {k: summarize(v) for k, v in sorted(by_category.items())},
        "by_query": {k: summarize(v) for k, v in sorted(by_name.items())},
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--urls", required=True, help="JSON file: a list of [name, category, path]")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds (upper bound)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="upper bound on requests")
    parser.add_argument("--rounds", type=int, help="passes over the URL list per client (upper bound)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    parser.add_argument("--partition", action="store_true",
                        help="each client sends its own share of the URLs, each once (no URL twice)")
    args = parser.parse_args(argv)
    with open(args.urls, encoding="utf-8") as fh:
        urls = json.load(fh)
    print(json.dumps(run(args.host, args.port, urls, args.concurrency, args.duration, args.max_requests,
                         args.timeout, args.rounds, args.partition)))


if __name__ == "__main__":
    main()
