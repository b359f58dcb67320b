"""HTTP manners: dataset version everywhere, ETag and 304, caching, CORS, problem details, no 500s."""

from __future__ import annotations

import re

import pytest
from api_helpers import CBT, is_problem

API = "/api/v1"
PATHS = [f"{API}/parameters", f"{API}/parameters.csv", f"{API}/parameters/{CBT}", f"{API}/studies",
         f"{API}/studies/guerra-1990", f"{API}/target-groups", f"{API}/outcomes/recidivism",
         f"{API}/search?q=cbt", f"{API}/openapi.json", f"{API}/docs"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_dataset_version_an_etag_and_cors(client, path):
    response = client.get(path)
    assert response.status_code == 200
    version = client.get(f"{API}/parameters").get_json()["dataset_version"]
    assert response.headers["X-Dataset-Version"] == version
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Dataset-Version" in response.headers["Access-Control-Expose-Headers"]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag, weak = response.get_etag()
    assert etag and not weak
    again = client.get(path, headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == response.headers["ETag"]
    assert again.headers["X-Dataset-Version"] == version


def test_etag_depends_on_the_normalized_request(client):
    a = client.get(f"{API}/parameters?method=DL&test=knha").headers["ETag"]
    b = client.get(f"{API}/parameters?test=knha&method=DL").headers["ETag"]
    c = client.get(f"{API}/parameters?method=PM&test=knha").headers["ETag"]
    assert a == b != c
    assert client.get(f"{API}/parameters?method=PM", headers={"If-None-Match": a}).status_code == 200
    assert client.get(f"{API}/parameters", headers={"If-None-Match": "*"}).status_code == 304


def test_cors_preflight(client):
    response = client.options(f"{API}/parameters", headers={
        "Origin": "https://calculator.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]


def test_errors_are_problem_details_with_the_version_and_no_caching(client):
    body = is_problem(client.get(f"{API}/studies/no-such-study"), 404)
    assert body["instance"] == f"{API}/studies/no-such-study"
    response = client.get(f"{API}/nothing/here")
    is_problem(response, 404)
    assert response.headers["X-Dataset-Version"] and response.headers["Cache-Control"] == "no-cache"
    assert "ETag" not in response.headers


def test_a_write_method_is_405_with_allow(client):
    response = client.post(f"{API}/parameters")
    is_problem(response, 405)
    assert "GET" in response.headers["Allow"]
    is_problem(client.delete(f"{API}/studies/guerra-1990"), 405)
    is_problem(client.post(f"{API}/nothing"), 404)


@pytest.mark.parametrize("path", [
    f"{API}/studies?year_from=99999999999999999999", f"{API}/studies?page=10000000000000000000000",
    f"{API}/studies?country=%00", f"{API}/studies/%00", f"{API}/parameters/%00%ff", f"{API}/outcomes/" + "x" * 5000,
    f"{API}/search?q=%00", f"{API}/search?q=year:[2010 TO", f"{API}/search?q=((\"", f"{API}/parameters?version=../..",
    f"{API}/parameters?baseline_risk=1e309", f"{API}/studies?evidence_level=-1", f"{API}/studies/guerra-1990/",
    f"{API}/parameters.csv?method=", f"{API}/interventions/%C3%B8",
])
def test_hostile_input_is_never_a_server_error(client, path):
    response = client.get(path)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        is_problem(response, response.status_code)


def test_the_api_root_points_to_the_docs(client):
    for path in (API, f"{API}/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"{API}/docs")
    page = client.get(f"{API}/docs").get_data(as_text=True)
    assert f"{API}/parameters/{{parameter_id}}" in page and 'id="problem-unknown-release"' in page


def test_pages_keep_their_own_errors(client):
    """The API's handlers are its own: a page that does not exist is not answered with problem+json."""
    response = client.get("/no-such-page-at-all")
    assert response.status_code == 404 and response.mimetype != "application/problem+json"


def test_the_docs_page_is_styled_under_the_sites_csp(client):
    response = client.get(f"{API}/docs")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    page = response.get_data(as_text=True)
    assert "<style" not in page and " style=" not in page, "inline style is blocked by the CSP"
    sheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    with client.get(sheet) as css:  # a file response: closed, or pytest reports the open file
        assert css.status_code == 200 and css.mimetype == "text/css" and "font-family" in css.get_data(as_text=True)
    assert f"{API}/releases" in page and 'id="problem-unknown-term"' in page
