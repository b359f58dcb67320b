"""Pages carry an ETag and are cacheable; a matching If-None-Match is a 304; long facet lists are cut."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evidence.services.facet_lists import FacetValue
from evidence.web import searchview
from evidence.web.formatting import MACROS


@pytest.mark.parametrize("url", ["/", "/search?q=recidivism&sort=year", "/interventions/cbt-offenders", "/map"])
def test_pages_have_an_etag_and_a_304(app, url):
    client = app.test_client()
    first = client.get(url)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=300" and "Cookie" in first.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.data and again.headers["ETag"] == tag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_etag_follows_the_url_and_the_language(app):
    client = app.test_client()
    a = client.get("/search?q=cbt&sort=year").headers["ETag"]
    assert client.get("/search?sort=year&q=cbt").headers["ETag"] == a  # the same query, reordered
    assert client.get("/search?q=cbt&sort=effect").headers["ETag"] != a
    english = app.test_client()
    english.set_cookie("lang", "en")
    assert english.get("/search?q=cbt&sort=year").headers["ETag"] != a


def test_a_response_that_sets_the_language_cookie_is_not_shared(app):
    response = app.test_client().get("/search?q=cbt&lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_the_api_keeps_its_own_caching(app):
    response = app.test_client().get("/api/v1/search?q=cbt")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=300"


def _values(n: int, selected: int | None = None):
    return [FacetValue(f"v{i:02d}", f"V{i:02d}", count=100 - i * 3 if i % 2 else i, selected=i == selected)
            for i in range(n)]


def test_long_facet_lists_show_the_top_ten_and_what_is_chosen():
    values = _values(25, selected=0)
    shown = searchview.shown_values(values, expanded=False)
    top = sorted(values, key=lambda v: -v.count)[:10]
    assert {v.value for v in shown} == {v.value for v in top} | {"v00"}
    assert [v.value for v in shown] == [v.value for v in values if v in shown]  # the facet's own order
    assert searchview.shown_values(values, expanded=True) == values
    assert searchview.shown_values(values[:10], expanded=False) == values[:10]


def test_show_all_is_a_link_that_keeps_the_state(app):
    result = SimpleNamespace(facets={"country": _values(15)})
    with app.test_request_context("/search?q=cbt&page=2"):
        (group,) = searchview.facet_groups(result)
        assert len(group.values) == 10 and group.hidden == 5
        assert group.toggle_url == "/search?q=cbt&more=country&page=2"
    with app.test_request_context("/search?q=cbt&more=country"):
        (group,) = searchview.facet_groups(result)
        assert len(group.values) == 15 and group.expanded and group.toggle_url == "/search?q=cbt"
        assert all("more=country" in v.url for v in group.values)


def test_a_repeated_page_comes_from_the_page_cache(app, monkeypatch):
    from evidence.services import search as search_service

    client = app.test_client()
    first = client.get("/search?q=recidivism&sort=effect")
    calls, real = [], search_service.find
    monkeypatch.setattr(search_service, "find", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = client.get("/search?q=recidivism&sort=effect")
    assert not calls and again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Content-Security-Policy"] and again.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/search?q=recidivism&sort=effect&lang=en").status_code == 200
    assert len(calls) == 1  # ?lang= may set the cookie: rendered afresh


def test_links_are_url_encoded_pairs_in_state_order(app):
    from urllib.parse import urlencode

    from evidence.web import urlstate

    url = "/search?q=a%26b+%C3%A6&page=3&design=rct&country=C%C3%B4te+d%27Ivoire&country=Denmark&more=country"
    with app.test_request_context(url):
        state = urlstate.current()
        for kwargs in [{}, {"toggle": ("design", "rct")}, {"toggle": ("design", "cluster-rct")},
                       {"toggle": ("more", "country"), "keep_page": True}, {"set_": {"page": 4, "q": "x y"}},
                       {"drop": ("country",)}, {"set_": {"q": None}}]:
            pairs = [p for p in state if p[0] not in kwargs.get("drop", ())]
            if not kwargs.get("keep_page"):
                pairs = [p for p in pairs if p[0] != "page"]
            toggle = kwargs.get("toggle")
            if toggle:
                pairs = [p for p in pairs if p != toggle] if toggle in pairs else pairs + [toggle]
            for name, value in (kwargs.get("set_") or {}).items():
                pairs = [p for p in pairs if p[0] != name] + ([(name, str(value))] if value not in (None, "") else [])
            pairs.sort(key=lambda p: urlstate.STATE.index(p[0]))
            expected = f"/search?{urlencode(pairs)}" if pairs else "/search"
            assert urlstate.link(**kwargs) == expected, kwargs


def test_hit_terms_read_as_the_facets_labels(client):
    html = client.get("/search?q=recidivism&lang=en").get_data(as_text=True)
    assert "Recidivism (reoffending)" in html.split('class="hits"')[1]


@pytest.mark.parametrize("url", [
    "/search", "/search?q=cbt&page=2", "/search?design=rct&design=rct&q=x&country=Denmark&page=3&sort=year",
    "/search?decade=1990&evidence_level=2&more=design&lang=en", "/search?q=%C3%A6+%26&country=C%C3%B4te+d%27Ivoire",
])
def test_a_facets_links_are_the_single_toggle_links(app, url):
    from evidence.web import urlstate

    with app.test_request_context(url):
        for name, values in [("design", ["rct", "cluster-rct", "quasi-experimental"]),
                             ("country", ["Denmark", "Côte d'Ivoire"]),
                             ("decade", ["1990", "2000"]), ("evidence_level", ["1", "2"]), ("direction", [])]:
            assert urlstate.toggle_links(name, values) == [urlstate.link(toggle=(name, v)) for v in values]


def test_remembered_macros_render_as_the_macros_do(app):
    from flask import get_template_attribute

    for lang in ("da", "en", "da"):
        with app.test_request_context(f"/search?lang={lang}"):
            for name, args in [("padlocks", (0,)), ("padlocks", (4,)), ("level", (1,)), ("level", ("3",)),
                               ("direction", ("benefit",)), ("direction", (None,))]:
                assert getattr(MACROS, name)(*args) == get_template_attribute("_macros.html", name)(*args)
    with pytest.raises(AttributeError):
        _ = MACROS.strength_rule


def test_remembered_links_are_flasks_links(app):
    """links.url_for remembers a path per script root: the same links as Flask's under each root."""
    import flask

    from evidence.web import links

    cases = [("studies.show", {"study_id": "a b/æ?"}), ("interventions.show", {"slug": "cbt"}), ("search.search", {}),
             ("studies.show", {"study_id": "smith-2019_a.b~c"}), ("studies.show", {"study_id": "x%41"}),
             ("search.search", {"q": "housing"}), ("search.search", {"page": "2"}), ("browse.gap_map", {"x": "y"}),
             ("business.show", {"parameter_id": "p-1"}), ("studies.show", {"study_id": ""}),
             ("static", {"filename": "css/site.css"}), ("search.search", {"q": "x&y", "page": 2}),
             ("studies.show", {"study_id": "s1", "_external": True}),
             ("studies.show", {"study_id": "s1", "_anchor": "a"})]
    for base in ("http://localhost/", "http://localhost/evidence/", "http://example.org/", "http://localhost/"):
        with app.test_request_context("/search", base_url=base):
            for endpoint, values in cases:
                assert links.url_for(endpoint, **values) == flask.url_for(endpoint, **values)


def test_a_link_whose_argument_changes_is_its_endpoints_path_filled_in(app, monkeypatch):
    """A hit's study link: Flask builds the path once (with a marker), each study's id is put in."""
    import flask

    from evidence.web import links

    calls = []
    original = flask.url_for
    monkeypatch.setattr(flask, "url_for", lambda *args, **kwargs: calls.append(args) or original(*args, **kwargs))
    with app.test_request_context("/search", base_url="http://localhost/sub/"):
        urls = [links.url_for("studies.show", study_id=f"study-{i}") for i in range(50)]
        assert links.url_for("studies.show", study_id="a b") == original("studies.show", study_id="a b")
    assert urls == [f"/sub/studies/study-{i}" for i in range(50)]
    assert len(calls) <= 2  # the pattern (once per script root), and the id that needs quoting
