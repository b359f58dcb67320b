"""The API's search answers a repeated query from the response cache: the same bytes and headers, no search."""

from __future__ import annotations

import pytest

from evidence.services import search as search_service

API = "/api/v1"


@pytest.fixture
def counted(app, monkeypatch):
    """The searches the API runs; the response cache starts empty (the app is the session's: other tests ask too)."""
    monkeypatch.delitem(app.extensions, "evidence.page_cache", raising=False)
    calls, real = [], search_service.find
    monkeypatch.setattr(search_service, "find", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_a_repeated_search_comes_from_the_cache(app, counted):
    client = app.test_client()
    first = client.get(f"{API}/search?q=recidivism&sort=year&per_page=5")
    again = client.get(f"{API}/search?q=recidivism&sort=year&per_page=5")
    assert len(counted) == 1
    assert again.data == first.data and again.status_code == 200
    assert dict(again.headers) == dict(first.headers)
    assert again.headers["X-Dataset-Version"] == again.get_json()["dataset_version"]
    not_modified = client.get(f"{API}/search?q=recidivism&sort=year&per_page=5",
                              headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304 and not not_modified.data and len(counted) == 1


def test_another_order_of_the_same_query_gets_its_own_links(app, counted):
    client = app.test_client()
    a = client.get(f"{API}/search?q=cbt&per_page=2").get_json()
    b = client.get(f"{API}/search?per_page=2&q=cbt").get_json()
    assert len(counted) == 2
    assert a["links"]["next"] != b["links"]["next"]  # each lists the parameters in the order asked
    assert {k: v for k, v in a.items() if k != "links"} == {k: v for k, v in b.items() if k != "links"}


def test_errors_are_not_cached(app, counted):
    client = app.test_client()
    for _ in range(2):
        assert client.get(f"{API}/search?sort=best").status_code == 400
    assert client.get(f"{API}/search?q=cbt&lang=en").status_code == 200
    assert client.get(f"{API}/search?q=cbt&lang=da").status_code == 200
    assert len(counted) == 2  # the language is part of the query


def test_a_new_index_is_a_miss(app, counted, monkeypatch):
    from evidence.web import caching

    client = app.test_client()
    client.get(f"{API}/search?q=cbt")
    real = caching._versions
    monkeypatch.setattr(caching, "_versions", lambda: real() + "\nrebuilt")
    client.get(f"{API}/search?q=cbt")
    assert len(counted) == 2
