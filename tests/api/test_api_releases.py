"""A calculator pins a release and keeps its numbers after the data change; ?version= for unknown releases."""

from __future__ import annotations

from api_helpers import BCG_RR, drop_tables, edit_study, is_problem

API = "/api/v1"


def test_a_pinned_release_keeps_its_numbers_after_the_data_change(cli, settings, private_app):
    assert cli("build").exit_code == 0
    assert cli("release", "--name", "business-case-2026").exit_code == 0
    client = private_app.test_client()
    before = client.get(f"{API}/parameters/{BCG_RR}?method=DL&test=knha&baseline_risk=0.02").get_json()

    edit_study(settings.data_dir, "aronson-1948", r"^(\s+ai:) 4$", r"\1 9")
    assert cli("build").exit_code == 0

    now = client.get(f"{API}/parameters/{BCG_RR}?method=DL&test=knha&baseline_risk=0.02")
    assert now.get_json()["estimate"] != before["estimate"], "without version: the new numbers"
    assert now.headers["X-Dataset-Version"] != before["dataset_version"]

    for version in ("business-case-2026", before["dataset_version"]):
        pinned = client.get(f"{API}/parameters/{BCG_RR}?method=DL&test=knha&baseline_risk=0.02&version={version}")
        assert pinned.status_code == 200
        assert pinned.get_json() == before, "with version: exactly the old numbers, re-pooled the same way"
        assert pinned.headers["X-Dataset-Version"] == before["dataset_version"]
        assert pinned.headers["X-Release"] == "business-case-2026"
        assert "immutable" in pinned.headers["Cache-Control"]

    stored = client.get(f"{API}/parameters?version=business-case-2026").get_json()
    assert stored["dataset_version"] == before["dataset_version"]
    released = (settings.releases_dir / "business-case-2026" / "evidence-parameters.json").read_bytes()
    assert client.get(f"{API}/parameters.json?version=business-case-2026").data == released
    csv = client.get(f"{API}/parameters.csv?version=business-case-2026&intervention=bcg-vaccination")
    assert csv.status_code == 200 and BCG_RR in csv.data.decode("utf-8-sig")


def test_an_unknown_version_lists_the_releases(cli, settings, private_app):
    assert cli("build").exit_code == 0
    assert cli("release", "--name", "r1").exit_code == 0
    client = private_app.test_client()
    body = is_problem(client.get(f"{API}/parameters?version=r2"), 404)
    assert [r["name"] for r in body["available"]] == ["r1"] and body["suggestions"] == ["r1"]
    assert body["type"].endswith("#problem-unknown-release")
    is_problem(client.get(f"{API}/parameters/{BCG_RR}?version=nope"), 404)
    current = client.get(f"{API}/parameters").get_json()["dataset_version"]
    assert client.get(f"{API}/parameters?version={current}").status_code == 200


def test_without_a_build_the_api_says_so(settings, private_app):
    drop_tables(settings)
    client = private_app.test_client()
    body = is_problem(client.get(f"{API}/parameters"), 503)
    assert "evidence build" in body["detail"]
    is_problem(client.get(f"{API}/studies"), 503)
    assert client.get(f"{API}/openapi.json").status_code == 200


def test_releases_are_listed_oldest_first(cli, settings, private_app):
    assert cli("build").exit_code == 0
    client = private_app.test_client()
    empty = client.get(f"{API}/releases")
    assert empty.status_code == 200 and empty.get_json()["items"] == [] and empty.get_json()["total"] == 0
    assert cli("release", "--name", "first").exit_code == 0
    first = client.get(f"{API}/releases", headers={"If-None-Match": empty.headers["ETag"]})
    assert first.status_code == 200, "a new release changes the list's ETag"
    assert cli("release", "--name", "second").exit_code == 0
    body = client.get(f"{API}/releases").get_json()
    assert [r["name"] for r in body["items"]] == ["first", "second"] and body["total"] == 2
    assert body["current_dataset_version"] == body["items"][0]["dataset_version"]
    assert set(body["items"][0]) == {"name", "dataset_version", "built_at", "released_at"}
    pinned = client.get(f"{API}/parameters?version={body['items'][0]['name']}")
    assert pinned.status_code == 200
