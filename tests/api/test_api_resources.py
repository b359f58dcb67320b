"""Studies, vocabularies and search through the API."""

from __future__ import annotations

from api_helpers import CBT, is_problem

API = "/api/v1"


def test_studies_are_paged_with_links(client):
    first = client.get(f"{API}/studies?per_page=5").get_json()
    assert first["page"] == 1 and first["per_page"] == 5 and len(first["items"]) == 5
    assert first["pages"] == -(-first["total"] // 5) and first["links"]["prev"] is None
    second = client.get(first["links"]["next"]).get_json()
    assert second["page"] == 2 and {s["id"] for s in second["items"]}.isdisjoint(s["id"] for s in first["items"])
    last = client.get(first["links"]["last"]).get_json()
    assert last["links"]["next"] is None and last["items"]
    beyond = client.get(f"{API}/studies?page={first['pages'] + 1}&per_page=5").get_json()
    assert beyond["items"] == [] and beyond["total"] == first["total"]


def test_target_group_filter_includes_the_groups_below(client):
    parent = client.get(f"{API}/studies?target_group=offenders&per_page=100").get_json()
    juvenile = client.get(f"{API}/studies?target_group=juvenile-offenders&per_page=100").get_json()
    adult = client.get(f"{API}/studies?target_group=adult-offenders&per_page=100").get_json()
    assert juvenile["total"] and adult["total"]
    assert {s["id"] for s in parent["items"]} >= {s["id"] for s in juvenile["items"] + adult["items"]}
    assert all("juvenile-offenders" in s["target_groups"] for s in juvenile["items"])


def test_study_filters_combine(client):
    body = client.get(f"{API}/studies?intervention=cbt-offenders&design=rct&year_from=1990&year_to=1999"
                      "&evidence_level=1&country=united%20states&per_page=100").get_json()
    assert body["total"] > 0
    for s in body["items"]:
        assert s["design"] == "rct" and 1990 <= s["year"] <= 1999 and s["country"] == "United States"
    body = is_problem(client.get(f"{API}/studies?outcome=recidivsm"), 404)
    assert "recidivism" in body["suggestions"]


def test_one_study_with_its_effects_and_parameters(client):
    study = client.get(f"{API}/studies/guerra-1990").get_json()
    assert study["id"] == "guerra-1990" and study["effects"] and study["dataset_version"]
    assert any(p.startswith("cbt-offenders.") for p in study["parameters"])
    assert study["effects"][0]["data"]


def test_vocabularies_list_and_detail(client):
    groups = client.get(f"{API}/target-groups").get_json()
    offenders = next(t for t in groups["items"] if t["slug"] == "offenders")
    assert set(offenders["children"]) >= {"adult-offenders", "juvenile-offenders"}
    detail = client.get(f"{API}/target-groups/juvenile-offenders").get_json()
    assert detail["ancestors"] == ["offenders", "vulnerable-adults"]
    assert detail["study_count"] == len(detail["studies"]) > 0
    outcome = client.get(f"{API}/outcomes/recidivism").get_json()
    assert outcome["desirable"] == "lower" and CBT in outcome["parameters"]
    assert client.get(f"{API}/interventions").get_json()["total"] > 0
    assert client.get(f"{API}/comparisons").status_code == 200
    body = is_problem(client.get(f"{API}/interventions/cbt-ofenders"), 404)
    assert body["suggestions"][0] == "cbt-offenders"


def test_search_with_facets_and_pages(client):
    body = client.get(f"{API}/search?q=cbt&per_page=3&lang=en").get_json()
    assert body["total"] > 3 and len(body["hits"]) == 3 and body["links"]["next"]
    assert "target_group" in body["facets"] and body["dataset_version"]
    narrowed = client.get(f"{API}/search?q=cbt&target_group=juvenile-offenders&per_page=100").get_json()
    assert 0 < narrowed["total"] < body["total"]
    both = client.get(f"{API}/search?design=rct&design=quasi-experimental&per_page=1").get_json()
    assert both["total"] >= client.get(f"{API}/search?design=rct&per_page=1").get_json()["total"]
    is_problem(client.get(f"{API}/search?sort=best"), 400)
