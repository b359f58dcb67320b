"""The search page's facet items, written in Python (:data:`evidence.web.searchview.FACET_ITEM`): every text
and link escaped, as the template escaped them."""

from __future__ import annotations

from markupsafe import Markup

from evidence.web.searchview import FacetGroup, FacetLink


def test_labels_links_and_words_are_escaped():
    group = FacetGroup("country", "Country", [
        FacetLink('<script>"x" & y</script>', 3, False, 0, "/search?country=a&q=<b>"),
        FacetLink("Danmark", 12, True, 1, "/search")], hidden=0, total=2)
    html = group.items("studies <i>", Markup("(chosen)"))
    assert isinstance(html, Markup)
    assert "<script>" not in html and "&lt;script&gt;&#34;x&#34; &amp; y&lt;/script&gt;" in html
    assert 'href="/search?country=a&amp;q=&lt;b&gt;"' in html
    assert html.count(" studies &lt;i&gt;</span>") == 2
    assert html.count('class="facet-link selected" aria-current="true"') == 1
    assert html.count('<span class="visually-hidden">(chosen)</span>') == 1
    assert '<li class="depth-1">' in html and '<span class="count">12<' in html


def test_no_values_no_items():
    assert FacetGroup("country", "Country", [], hidden=0, total=0).items("studies", "chosen") == ""
