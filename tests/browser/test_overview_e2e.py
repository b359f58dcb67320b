"""The overview path in headless Chromium at 1280 and 390 px: from / to a ranked list in two clicks, and no
page wider than a phone's screen. Screenshots go to tests/screenshots/overview-*.png."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(params=list(WIDTHS))
def sized(request, browser):
    width, height = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="da-DK",
                                  is_mobile=request.param == "phone", has_touch=request.param == "phone")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield request.param, page
    context.close()


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                         " - window.innerWidth")


def test_two_clicks_from_the_front_page_to_a_ranked_list(live_server, sized, shot):
    name, page = sized
    page.goto(f"{live_server}/")
    assert page.get_by_role("heading", name="Hvem vil du hjælpe?").is_visible()
    shot(page, f"overview-{name}-01-home", full_page=True)

    page.locator(".area-card h3").get_by_role("link", name="Udsatte voksne", exact=True).click()
    page.wait_for_url(re.compile(r"/target-groups/vulnerable-adults$"))  # click 1: the area
    shot(page, f"overview-{name}-02-area", full_page=True)
    page.locator(".group-links").get_by_role("link", name="Kriminelle", exact=True).click()
    page.wait_for_url(re.compile(r"/target-groups/offenders$"))  # click 2: the target group
    rows = page.locator("li.overview-row")
    assert rows.count() >= 1
    first = rows.first
    assert first.locator(".ov-title a").inner_text() == "Kognitive adfærdsprogrammer for kriminelle"
    assert re.search(r"procentpoint \(95 %-KI [−+]\d+ til [−+]\d+\)", first.locator(".ov-numbers").inner_text())
    assert first.locator(".padlocks svg.padlock.on").count() >= 1
    assert first.locator(".padlocks").is_visible()
    shot(page, f"overview-{name}-03-target-group", full_page=True)

    page.get_by_role("link", name="antal studier").click()
    page.wait_for_url(re.compile(r"sort=studies"))
    assert page.get_by_role("link", name="antal studier").get_attribute("aria-current") == "true"
    assert not page.console_errors, page.console_errors


@pytest.mark.parametrize("path", ["/", "/map", "/map?area=vulnerable-adults", "/target-groups/unemployed",
                                  "/target-groups/offenders", "/interventions/cbt-offenders", "/interventions/ips",
                                  "/studies/mentor-2014"])
def test_no_page_is_wider_than_the_screen(live_server, sized, shot, path):
    name, page = sized
    page.goto(f"{live_server}{path}")
    assert _overflow(page) <= 0, f"{path} is {_overflow(page)} px wider than the {name} viewport"
    slug = re.sub(r"[^a-z0-9]+", "-", path).strip("-") or "home"
    shot(page, f"overview-{name}-width-{slug}", full_page=path != "/interventions/cbt-offenders")


def test_the_map_scrolls_inside_with_sticky_headers_and_is_a_list_on_a_phone(live_server, sized, shot):
    name, page = sized
    page.goto(f"{live_server}/map")
    if name == "phone":
        assert not page.locator(".map-scroll").is_visible()
        items = page.locator(".map-list > li")
        assert items.count() > 5 and page.locator(".map-list").is_visible()
        assert "Kognitive adfærdsprogrammer for kriminelle" in page.locator(".map-list").inner_text()
    else:
        box = page.locator(".map-scroll")
        assert box.is_visible()
        header = page.locator(".gap-map thead th").nth(1)
        top = header.bounding_box()["y"]
        box.evaluate("el => el.scrollTo(400, 300)")
        assert abs(header.bounding_box()["y"] - top) < 1, "the column headers stay put"
        first_col = page.locator(".gap-map tbody th").first
        assert first_col.bounding_box()["x"] >= box.bounding_box()["x"] - 1, "the row headers stay put"
    shot(page, f"overview-{name}-map")
    page.select_option("#area", "vulnerable-adults")
    page.wait_for_url(re.compile(r"area=vulnerable-adults"))
    page.select_option("#target_group", "juvenile-offenders")
    page.wait_for_url(re.compile(r"target_group=juvenile-offenders"))
    if name == "phone":
        assert page.locator(".map-list > li").count() == 1  # only CBT for juvenile offenders
    else:
        assert page.locator(".gap-map tbody tr").count() == 1  # only CBT for juvenile offenders
    shot(page, f"overview-{name}-map-juvenile-offenders", full_page=True)
    assert not page.console_errors, page.console_errors


def test_intervention_page_shows_unpooled_results_with_their_reason(live_server, sized, shot):
    name, page = sized
    page.goto(f"{live_server}/interventions/ips")
    listed = int(re.search(r"(\d+) studier har evalueret", page.locator(".summary-box").inner_text()).group(1))
    assert page.locator("li.study-result").count() == listed
    unpooled = page.locator("li.unpooled")
    assert unpooled.count() >= 1 and "Ikke samlet:" in unpooled.first.inner_text()
    page.locator("li.study-result").first.scroll_into_view_if_needed()
    shot(page.locator(".study-list"), f"overview-{name}-ips-studies")
