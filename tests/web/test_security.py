"""Security headers everywhere; script payloads in records and queries render as text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from evidence import create_app
from evidence.build import build
from evidence.config import load_settings

ROOT = Path(__file__).resolve().parents[2]

PAYLOADS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
            "</title><svg onload=alert(1)>", "{{7*7}}", "'; DROP TABLE studies; --"]
PAGES = ["/", "/search?q=CBT", "/interventions", "/interventions/cbt-offenders", "/studies/landenberger-2004",
         "/target-groups", "/target-groups/offenders", "/outcomes", "/outcomes/recidivism", "/map",
         "/interventions/none-such", "/static/css/site.css", "/static/js/site.js", "/studies/landenberger-2004.bib"]


def assert_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("url", PAGES)
def test_security_headers_on_every_page(client, url):
    with client.get(url) as response:  # static files stream: close them
        assert_headers(response)


def test_no_inline_script_or_style(client):
    for url in PAGES[:10]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html, url
        assert " onload=" not in html and " onclick=" not in html


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    shutil.copytree(ROOT / "data", data)
    record = yaml.safe_load((data / "studies" / "landenberger-2004.yaml").read_text(encoding="utf-8"))
    payload = " ".join(PAYLOADS)
    record["id"] = "hostile-2004"
    record["citation"].update(title=f"Title {payload}", authors=[f"Evil {PAYLOADS[0]}", PAYLOADS[1]],
                              abstract=f"Abstract {payload}", journal=PAYLOADS[3])
    record["summary"] = {"da": f"Resumé {payload}", "en": f"Summary {payload}"}
    record["design"]["setting"] = PAYLOADS[1]
    record["effects"][0]["outcome_detail"] = PAYLOADS[0]
    record["effects"][0]["notes"] = PAYLOADS[3]
    (data / "studies" / "hostile-2004.yaml").write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    settings = load_settings(env={}, data_dir=data, instance_dir=root / "instance")
    build(settings)
    return create_app(settings, TESTING=True).test_client()


def assert_inert(html: str):
    assert "<script>alert" not in html
    assert "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;script&gt;" in html  # the payload is on the page, as text


@pytest.mark.parametrize("url", ["/studies/hostile-2004", "/studies/hostile-2004?lang=en", "/search?q=Evil",
                                 "/search?q=Summary&lang=en", "/interventions/cbt-offenders"])
def test_record_payloads_render_as_text(hostile_client, url):
    response = hostile_client.get(url)
    assert response.status_code == 200
    assert_headers(response)
    html = response.get_data(as_text=True)
    if "intervention" in url:  # the forest plot names the study by its label, its first author escaped
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "Evil &lt;script&gt;" in html
    else:
        assert_inert(html)


def test_query_payloads_render_as_text(client):
    for payload in PAYLOADS:
        response = client.get("/search", query_string={"q": payload, "country": payload, "lang": "en"})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html


def test_404_path_payload_is_escaped(client):
    html = client.get('/interventions/<script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert" not in html
