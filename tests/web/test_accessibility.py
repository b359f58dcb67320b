"""Structural accessibility checks on every kind of page: landmarks, one h1, labels, skip link."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

PAGES = ["/", "/search?q=CBT", "/search?q=zzzz", "/interventions", "/interventions/cbt-offenders",
         "/studies/landenberger-2004", "/target-groups", "/target-groups/offenders", "/outcomes",
         "/outcomes/recidivism", "/map", "/interventions/nope"]


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("lang", ["da", "en"])
def test_page_structure(client, url, lang):
    html = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}").get_data(as_text=True)
    page = Collector()
    page.feed(html)
    names = [t for t, _ in page.tags]
    assert names.count("h1") == 1, url
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in names, (url, landmark)
    assert page.tags[0] == ("html", {"lang": lang})
    assert any(t == "a" and a.get("href") == "#main" for t, a in page.tags), "skip link"
    labelled = {a.get("for") for t, a in page.tags if t == "label"}
    for tag, attrs in page.tags:
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            assert attrs.get("id") in labelled or attrs.get("aria-label"), (url, attrs)
        if tag == "img":
            assert "alt" in attrs
    assert len(page.ids) == len(set(page.ids)), f"duplicate ids on {url}"


def test_forest_plots_are_described(client):
    page = Collector()
    page.feed(client.get("/interventions/cbt-offenders").get_data(as_text=True))
    svgs = [a for t, a in page.tags if t == "svg" and a.get("class") == "forest"]
    assert svgs and all(a.get("role") == "img" and a.get("aria-labelledby") for a in svgs)
