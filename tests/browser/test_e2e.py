"""End to end in headless Chromium: search, a facet, an intervention page, the forest plot, English."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_search_facet_intervention_forest_plot_and_english(live_server, page, shot):
    page.goto(f"{live_server}/")
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.get_by_role("heading", name="Hvad virker?").is_visible()
    shot(page, "01-home")

    page.get_by_label("Søg i studier, indsatser, målgrupper og udfald").fill("tilbagefald")
    page.get_by_role("button", name="Søg", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q=tilbagefald"))
    first_hits = page.locator("ol.hits > li")
    assert first_hits.count() == 20
    assert "Kognitive adfærdsprogrammer for kriminelle" in first_hits.first.inner_text()
    shot(page, "02-search-tilbagefald")

    page.locator("section.facet", has=page.get_by_role("heading", name="Studiedesign")) \
        .get_by_role("link", name=re.compile("Randomiseret kontrolleret forsøg")).click()
    page.wait_for_url(re.compile(r"design=rct"))
    assert "q=tilbagefald" in page.url  # the query survives the facet
    total = int(re.search(r"\d+", page.locator("#results-title").inner_text()).group())
    facet_link = page.locator(".facet-link.selected")
    assert facet_link.count() == 1 and str(total) in facet_link.inner_text()
    shot(page, "03-search-facet-rct")

    page.locator("ol.hits > li").first.get_by_role("link", name="Kognitive adfærdsprogrammer for kriminelle").click()
    page.wait_for_url(re.compile(r"/interventions/cbt-offenders"))
    assert page.get_by_role("heading", level=1).inner_text() == "Kognitive adfærdsprogrammer for kriminelle"
    forest = page.locator("svg.forest").first
    forest.scroll_into_view_if_needed()
    assert forest.is_visible()
    box = forest.bounding_box()
    assert box["width"] > 500 and box["height"] > 300
    assert forest.locator(".fp-diamond").count() == 1 and forest.locator(".fp-study").count() > 10
    assert "Mindsker tilbagefald til kriminalitet fra" in page.locator(".effect-card .headline").first.inner_text()
    shot(page, "04-intervention-da")
    shot(page.locator("section.result").first, "05-forest-plot-da")

    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Reduces recidivism (reoffending) from" in page.locator(".effect-card .headline").first.inner_text()
    assert page.locator("svg.forest").first.is_visible()
    shot(page, "06-intervention-en")

    page.get_by_role("link", name="Evidence map").click()  # the cookie keeps English
    page.wait_for_url(re.compile(r"/map$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("td.cell.gap").count() > 0
    shot(page, "07-map-en", full_page=True)
    assert not page.console_errors, page.console_errors


def test_keyboard_skip_link_and_focus(live_server, page, shot):
    page.goto(f"{live_server}/studies/landenberger-2004")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    shot(page, "08-study-da")
    assert not page.console_errors, page.console_errors


def test_works_without_javascript(live_server, browser, shot):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/search?q=CBT&lang=en")
        sort_button = page.get_by_role("button", name="Sort", exact=True)
        assert sort_button.is_visible()  # hidden only when the script runs
        page.get_by_label("Sort by").select_option("year")
        sort_button.click()
        page.wait_for_url(re.compile(r"sort=year"))
        assert "q=CBT" in page.url
        years = [int(y) for y in re.findall(r"· (\d{4}) ·", page.locator("ol.hits").inner_text())]
        assert years == sorted(years, reverse=True)
        page.get_by_label("From").fill("2000")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"year_from=2000"))
        assert all(int(y) >= 2000 for y in re.findall(r"· (\d{4}) ·", page.locator("ol.hits").inner_text()))
        shot(page, "09-search-no-js-en")
    finally:
        context.close()


def test_print_layout_hides_navigation(live_server, page, shot):
    page.goto(f"{live_server}/interventions/bcg-vaccination?lang=en")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator("details.calculator").first.is_visible()
    assert page.locator("svg.forest").first.is_visible()
    shot(page, "10-intervention-print", full_page=True)
