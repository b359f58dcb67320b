"""A damaged or missing read side: /healthz says 503 and why; pages and the API answer 503, never 500,
and log one line, never a traceback. A bad Host header gets 400 with the security headers."""

from __future__ import annotations

import io
import logging
import os
import shutil

import pytest

from evidence import create_app
from evidence.config import load_settings
from evidence.web.hosts import valid_host
from evidence.web.security import HEADERS

PAGES = ["/", "/search?q=cbt", "/studies/guerra-1990", "/interventions", "/map",
         "/api/v1/search?q=cbt", "/api/v1/studies", "/api/v1/parameters"]


@pytest.fixture
def served(built_settings, tmp_path):
    """A private copy of the built instance and an app on it, opened (as a running server would be)."""
    instance = tmp_path / "instance"
    shutil.copytree(built_settings.instance_dir, instance, symlinks=True, copy_function=shutil.copy2)
    settings = load_settings(env={}, data_dir=built_settings.data_dir, instance_dir=instance)
    app = create_app(settings, TESTING=True)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    yield instance, client
    app.extensions["evidence.read"].dispose()


def _current(instance):
    return instance / os.readlink(instance / ".index.current")


def _biggest(folder, pattern):
    return max(folder.glob(pattern), key=lambda p: p.stat().st_size)


def _overwrite(path, offset, data):
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


DAMAGES = {
    "postings truncated to a header": lambda i: os.truncate(_biggest(_current(i) / "index" / "postings", "*.npy"), 100),
    "postings overwritten": lambda i: _overwrite(_biggest(_current(i) / "index" / "postings", "*.npy"), 0,
                                                 b"\0" * 4096),
    "postings manifest removed": lambda i: (_current(i) / "index" / "postings" / "postings.json").unlink(),
    "postings manifest garbled": lambda i: (_current(i) / "index" / "postings" / "postings.json").write_text("x" * 40),
    "index metadata removed": lambda i: (_current(i) / "index" / "evidence-meta.json").unlink(),
    "sort keys removed": lambda i: [p.unlink() for p in (_current(i) / "index" / "postings").glob("keys.*.npy")],
    "postings truncated": lambda i: [os.truncate(p, 8) for p in (_current(i) / "index" / "postings").glob("*.npy")],
    "database truncated": lambda i: os.truncate(_current(i) / "evidence.db", 4096),
    "database header zeroed": lambda i: _overwrite(_current(i) / "evidence.db", 0, b"\0" * 100),
    "database pages garbled": lambda i: _overwrite(_current(i) / "evidence.db", 8192, os.urandom(200_000)),
    "database removed": lambda i: (_current(i) / "evidence.db").unlink(),
    "manifest removed": lambda i: (_current(i) / "manifest.json").unlink(),
    "published link removed": lambda i: (i / ".index.current").unlink(),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_damage_gives_503s_and_no_tracebacks(served, damage, caplog):
    instance, client = served
    DAMAGES[damage](instance)
    caplog.set_level(logging.INFO)
    health = client.get("/healthz")
    assert health.status_code == 503, health.json
    assert health.json["status"] == "unavailable" and health.json["reason"]
    for url in PAGES:
        response = client.get(url)
        assert response.status_code in (200, 503), (url, response.status_code)  # 200: served from what is open
        if response.status_code == 503 and url.startswith("/api/"):
            assert response.mimetype == "application/problem+json" and response.json["status"] == 503
        assert response.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    assert not [r for r in caplog.records if r.exc_info], "a damaged read side is logged in one line"


def test_healthz_reports_the_versions(served):
    _instance, client = served
    body = client.get("/healthz").json
    assert body["status"] == "ok" and body["database_version"] == body["index_version"]
    assert body["studies"] > 100


def test_a_mismatched_pair_is_unhealthy(served):
    """Database and index of different builds (as a hand copy could make them) are refused."""
    instance, client = served
    meta = _current(instance) / "index" / "evidence-meta.json"
    meta.write_text(meta.read_text().replace('"dataset_version": "', '"dataset_version": "x'))
    os.utime(meta, ns=(0, 0))
    body = client.get("/healthz").json
    assert body["status"] == "unavailable"


@pytest.mark.parametrize("host", ["a" * 64, "xn--zz", "a..b", "exa mple", "a" * 300, "host:99999", "-a.b"])
def test_a_bad_host_gets_400_with_the_security_headers(app, host):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "HTTP_HOST": host, "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
               "SERVER_PROTOCOL": "HTTP/1.1"}
    seen = []
    body = b"".join(app(environ, lambda status, headers: seen.append((status, dict(headers)))))
    status, headers = seen[0]
    assert status.startswith("400") and b"Host" in body
    for name, value in HEADERS.items():
        assert headers[name] == value


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:8000", "[::1]:80", "evidence.example.dk",
                                  "xn--bl-wia.dk", "example.org."])
def test_good_hosts_pass(host):
    assert valid_host(host)


def test_files_are_checked_again_only_after_a_change(served, monkeypatch):
    """Every file's size is compared with the manifest when the kernel reports a change, not per request."""
    from evidence import versions

    instance, client = served
    checks = []
    real_verify = versions.verify
    monkeypatch.setattr(versions, "verify", lambda version: checks.append(1) or real_verify(version))
    for _ in range(3):
        assert client.get("/api/v1/search?q=cbt").status_code == 200
    assert len(checks) == 0
    os.utime(_biggest(_current(instance) / "index" / "postings", "*.npy"), ns=(0, 0))
    assert client.get("/api/v1/search?q=cbt").status_code == 200
    assert client.get("/api/v1/search?q=cbt").status_code == 200
    assert len(checks) == 1
