"""In headless Chromium: a researcher submits a CSV with two errors and sees both at once (row and
column), fixes it and submits; a curator logs in, sees the diff and approves; the study's page is
live and the audit log has both steps."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

from evidence.config import load_settings

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CURATOR, PASSWORD = "curator@example.org", "correct horse battery staple"
BAD = ("study,design,country,outcome,ai,bi,ci,di\n"
       "Nielsen (2019),rct,Denmark,recidivism,12,38,twenty,30\n"
       "Holm (2020),rct,Denmark,recidivsm,8,42,15,35\n")
FIXED = BAD.replace("twenty", "20").replace("recidivsm", "recidivism")


@pytest.fixture
def write_server(tmp_path):
    """A knowledge base of its own (a copy of data/, built) served with the write side on."""
    from werkzeug.serving import make_server

    from evidence import create_app
    from evidence.build import build
    from evidence.curation import accounts
    from evidence.curation.store import engine_for

    shutil.copytree(ROOT / "data", tmp_path / "data")
    settings = load_settings(env={}, data_dir=tmp_path / "data", instance_dir=tmp_path / "instance",
                             secure_cookies=False)
    build(settings)
    with engine_for(settings).begin() as conn:
        accounts.add_curator(conn, CURATOR, PASSWORD)
    server = make_server("127.0.0.1", 0, create_app(settings, TESTING=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", settings
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _upload(page, text: str) -> None:
    page.set_input_files("#csv", files=[{"name": "nielsen.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    page.get_by_role("button", name="Check and submit").click()


def test_submit_fix_review_approve_and_publish(write_server, browser, shot):
    base, settings = write_server
    researcher = browser.new_context(viewport={"width": 1280, "height": 900})
    page = researcher.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/contribute?lang=en")
    page.get_by_label("Name", exact=True).fill("Ada Researcher")
    page.get_by_label("E-mail").fill("ada@example.org")
    page.get_by_label("Affiliation").fill("Aarhus University")
    page.get_by_label("Source (the review").fill("Nielsen & Holm (2021). Two Danish trials. Nordic Journal, 3, 1-20.")
    page.locator("#intervention").fill("cbt-offenders")
    page.locator("#target_group").fill("offenders")
    page.locator("#comparison").fill("control")
    _upload(page, BAD)

    problems = page.locator("table.problem-list tbody tr")
    assert page.get_by_role("heading", name="2 problems: nothing was submitted").is_visible()
    assert problems.count() == 2
    rows = [[c.strip() for c in problems.nth(i).locator("td").all_inner_texts()] for i in range(2)]
    assert rows[0][:3] == ["nielsen.csv", "2", "ci"] and "'twenty' is not a number" in rows[0][3]
    assert rows[1][:3] == ["nielsen.csv", "3", "outcome"] and "unknown outcome 'recidivsm'" in rows[1][3]
    assert "did you mean 'recidivism'?" in rows[1][3]
    shot(page, "20-contribute-two-problems")
    assert page.get_by_label("Affiliation").input_value() == "Aarhus University"  # kept for the second try

    _upload(page, FIXED)
    page.wait_for_url(re.compile(r"/contribute/[A-Za-z0-9_-]{20,}"))
    follow = page.url
    assert "waiting for a curator" in page.locator(".submission-status").inner_text()
    assert not (settings.data_dir / "studies" / "nielsen-2019.yaml").exists()
    shot(page, "21-contribute-pending")

    curator = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = curator.new_page()
    desk.goto(f"{base}/curate?lang=en")
    desk.wait_for_url(re.compile(r"/curate/login"))
    desk.get_by_label("E-mail").fill(CURATOR)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    desk.wait_for_url(re.compile(r"/curate$"))
    desk.get_by_role("link", name=re.compile(r"nielsen\.csv")).click()
    diff = desk.locator("pre.diff").first
    assert "+id: nielsen-2019" in diff.inner_text()
    assert "studies/holm-2020.yaml" in desk.locator("#diff-title ~ h3").all_inner_texts()[1]
    assert "No problems" in desk.locator(".ok").inner_text()
    shot(desk, "22-curate-diff", full_page=True)
    desk.get_by_role("button", name="Approve, write and build").click()
    assert "approved: wrote studies/nielsen-2019.yaml, studies/holm-2020.yaml; built dataset" in desk.locator(
        ".flash").inner_text()

    page.goto(f"{base}/studies/nielsen-2019?lang=en")
    assert "Nielsen" in page.get_by_role("heading", level=1).inner_text()
    shot(page, "23-new-study-live")
    page.goto(follow)
    assert "Approved and published" in page.locator(".submission-status").inner_text()

    desk.get_by_role("link", name="Audit log").click()
    actions = desk.locator("table.audit-log tbody tr td:nth-child(3)").all_inner_texts()
    assert "submitted" in actions and "approved" in actions and "built" in actions
    shot(desk, "24-audit-log")
    # the refused upload answers 422 (Chromium logs that status); anything else is an error
    assert [e for e in errors if "status of 422" not in e] == [], errors
    assert len(errors) == 1
    researcher.close()
    curator.close()
