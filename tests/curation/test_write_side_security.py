"""The write side's defences: CSRF, sessions, brute force, XSS, path traversal, access without login.

Every refused POST is checked to change nothing: a hash over data/ and the read-side
database before and after.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy
from curation_helpers import CURATOR, GOOD_CSV, OPTIONS, PASSWORD, PERSON, login, state_hash, token_of

from evidence.curation import limits
from evidence.curation.store import engine_for

PAYLOADS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "</title><svg onload=alert(1)>"]


def submit(client, csv_text: str, file_name="nielsen.csv", **extra):
    token = token_of(client.get("/contribute").get_data(as_text=True))
    data = {**OPTIONS, **PERSON, "csrf_token": token, "csv": (io.BytesIO(csv_text.encode()), file_name), **extra}
    return client.post("/contribute", data=data, content_type="multipart/form-data")


def pending_id(write_app) -> int:
    assert submit(write_app.test_client(), GOOD_CSV).status_code == 303
    curator = write_app.test_client()
    login(curator)
    return int(re.search(r'href="/curate/submissions/(\d+)"', curator.get("/curate").get_data(as_text=True)).group(1))


def actions(sid: int) -> list[tuple[str, dict]]:
    term = {"term-interventions-impact60-da": "IMPACT60", "term-interventions-impact60-en": "IMPACT60"}
    return [(f"/curate/submissions/{sid}/approve", {}), (f"/curate/submissions/{sid}/reject", {"reason": "no"}),
            ("/curate/terms/interventions/impact60", term), ("/curate/logout", {})]


def test_curator_posts_without_session_or_csrf_are_refused_and_change_nothing(write_app, write_settings):
    sid = pending_id(write_app)
    before = state_hash(write_settings)

    anonymous = write_app.test_client()  # a valid CSRF token, but no session
    token = token_of(anonymous.get("/contribute").get_data(as_text=True))
    for url, data in actions(sid):
        response = anonymous.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"].startswith("/curate/login"), url

    curator = write_app.test_client()  # a session, but no (or a wrong) CSRF token
    login(curator)
    good = token_of(curator.get("/curate").get_data(as_text=True))
    for url, data in actions(sid):
        assert curator.post(url, data=data).status_code == 403, url
        assert curator.post(url, data={**data, "csrf_token": good[:-4] + "AAAA"}).status_code == 403, url
        assert curator.post(url, data={**data, "csrf_token": token}).status_code == 403, url  # another session's
    assert write_app.test_client().post("/curate/login", data={"email": CURATOR, "password": PASSWORD}) \
        .status_code == 403  # the login form too (no login CSRF)
    assert write_app.test_client().post("/contribute", data={**OPTIONS, **PERSON}).status_code == 403

    assert state_hash(write_settings) == before
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    assert "pending" in page  # still pending: nothing was approved or rejected


@pytest.mark.parametrize("url", ["/curate", "/curate/audit", "/curate/submissions/1", "/curate/terms"])
def test_curator_pages_need_a_login(write_app, url):
    response = write_app.test_client().get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/curate/login")


def test_a_login_starts_a_new_session_and_logout_ends_it(write_app):
    client = write_app.test_client()
    client.get("/curate/login")
    before = client.get_cookie("evidence_session").value  # the anonymous session (CSRF token only)
    assert login(client).status_code == 303
    after = client.get_cookie("evidence_session").value
    assert after != before

    planted = write_app.test_client()  # a cookie fixed before the login grants nothing
    planted.set_cookie("evidence_session", before)
    assert planted.get("/curate").status_code == 302

    replay = write_app.test_client()  # the logged-in cookie works ... until logout
    replay.set_cookie("evidence_session", after)
    assert replay.get("/curate").status_code == 200
    token = token_of(client.get("/curate").get_data(as_text=True))
    assert client.post("/curate/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/curate").status_code == 302
    assert replay.get("/curate").status_code == 302  # ended on the server, not just forgotten by the browser


def test_login_brute_force_locks_the_account_and_rate_limits_the_address(write_app):
    client = write_app.test_client()
    for _ in range(5):
        response = login(client, password="wrong password!")
        assert response.status_code == 401 and "Forkert e-mail eller adgangskode" in response.get_data(as_text=True) \
            or "Wrong e-mail or password" in response.get_data(as_text=True)
    response = login(client)  # the right password, but the account is locked
    assert response.status_code == 401
    assert client.get("/curate").status_code == 302
    for _ in range(4):
        login(client)
    assert login(client).status_code == 429  # 10 attempts from one address in 15 minutes
    with engine_for(write_app.config["EVIDENCE"]).connect() as conn:
        actions = [r.action for r in conn.execute(sqlalchemy.text("SELECT action FROM curation_audit_log"))]
    assert actions.count("login-failed") == 5 and "login-locked" in actions and "login-rate-limited" in actions


def _multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body as bytes (the test client would spool a large file to an unclosed temporary file)."""
    boundary = "test-boundary-7c1f"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="csv"; filename="{name}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + content + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_submissions_are_rate_limited_and_size_limited(write_app, write_settings):
    client = write_app.test_client()
    token = token_of(client.get("/contribute").get_data(as_text=True))
    big = ("study,ai,bi,ci,di\n" + "Nielsen (2019),1,2,3,4\n" * 60000).encode()
    body, kind = _multipart({**OPTIONS, **PERSON, "csrf_token": token}, "big.csv", big)
    response = client.post("/contribute", data=body, content_type=kind)
    assert (response.status_code == 422
            and "big.csv: the file is larger than 1024 KiB" in response.get_data(as_text=True))
    body, kind = _multipart({**OPTIONS, **PERSON, "csrf_token": token}, "huge.csv", b"x" * (4 << 20))
    assert client.post("/contribute", data=body, content_type=kind).status_code == 413
    for _ in range(limits.LIMITS["submit"][0] - 1):  # the refused big file was the first
        submit(client, "study\n")
    assert submit(client, GOOD_CSV).status_code == 429
    assert not list((write_settings.data_dir / "studies").glob("nielsen-2019*"))


def test_payloads_in_every_submitted_field_render_as_text(write_app, write_settings):
    payload = " ".join(PAYLOADS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["study", "design", "country", "setting", "ai", "bi", "ci", "di"])
    writer.writerow([f"Evil {PAYLOADS[0]} (2019)", "rct", PAYLOADS[1], payload, 12, 38, 20, 30])
    csv_text = out.getvalue()
    researcher = write_app.test_client()
    response = submit(researcher, csv_text, file_name=f"{PAYLOADS[0]}.csv", note=payload, name=f"Ada {payload}",
                      affiliation=f"Uni {payload}", source=f"Source {payload}")
    assert response.status_code == 303, response.get_data(as_text=True)
    follow = response.headers["Location"]
    curator = write_app.test_client()
    login(curator)
    sid = re.search(r'href="/curate/submissions/(\d+)"', curator.get("/curate").get_data(as_text=True)).group(1)
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    for html in (page, curator.get("/curate").get_data(as_text=True), curator.get("/curate/audit").get_data(
            as_text=True), researcher.get(follow).get_data(as_text=True)):
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
        assert "&lt;script&gt;" in html
    assert curator.post(f"/curate/submissions/{sid}/approve", data={"csrf_token": token_of(page)}).status_code == 303
    written = [p.stem for p in (write_settings.data_dir / "studies").glob("evil*.yaml")]
    assert len(written) == 1, written
    public = researcher.get(f"/studies/{written[0]}")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "Evil &lt;script&gt;" in html


def test_payloads_sent_back_with_a_refused_submission_render_as_text(write_app):
    fields = {"name": PAYLOADS[0], "affiliation": PAYLOADS[1], "note": PAYLOADS[2], "source": PAYLOADS[1],
              "intervention": PAYLOADS[0], "study": PAYLOADS[2], "mode": "single", "email": "not an address"}
    client = write_app.test_client()
    response = client.post("/contribute", data={**fields, "csrf_token": token_of(client.get("/contribute").get_data(
        as_text=True))})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;script&gt;" in html


def test_no_path_traversal_through_names_or_ids(write_app, write_settings, tmp_path):
    outside = sorted(p for p in tmp_path.rglob("*") if "data" not in p.parts and "instance" not in p.parts)
    researcher = write_app.test_client()
    csv_text = "study,ai,bi,ci,di\n../../../etc/passwd (2019),12,38,20,30\n"
    response = submit(researcher, csv_text, file_name="../../../../tmp/evil.csv")
    assert response.status_code == 303
    curator = write_app.test_client()
    login(curator)
    sid = re.search(r'href="/curate/submissions/(\d+)"', curator.get("/curate").get_data(as_text=True)).group(1)
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    files = re.findall(r'<h3 class="h-small">([^<]+) <span', page)
    assert files and all(re.fullmatch(r"(studies|vocabularies)/[a-z0-9-]+\.yaml", f) for f in files), files
    assert "evil.csv" in page and "../" not in page.split('id="diff-title"')[0].split("<dl")[1]
    curator.post(f"/curate/submissions/{sid}/approve", data={"csrf_token": token_of(page)})
    assert (write_settings.data_dir / "studies" / "etc-passwd-2019.yaml").exists()
    assert sorted(p for p in tmp_path.rglob("*") if "data" not in p.parts and "instance" not in p.parts) == outside
    for url in ("/contribute/..%2F..%2Fetc%2Fpasswd", "/contribute/../../etc/passwd", "/curate/submissions/..%2F1",
                "/curate/submissions/-1", "/contribute/" + "A" * 300):
        assert curator.get(url).status_code in (404, 308), url


def test_the_audit_log_is_append_only(write_app):
    pending_id(write_app)
    with engine_for(write_app.config["EVIDENCE"]).connect() as conn:
        for statement in ("UPDATE curation_audit_log SET actor = 'someone else'", "DELETE FROM curation_audit_log"):
            with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"):
                conn.execute(sqlalchemy.text(statement))
            conn.rollback()


def test_the_write_side_can_be_turned_off(write_settings):
    from evidence import create_app

    app = create_app(write_settings.with_(write_side=False), TESTING=True)
    client = app.test_client()
    for url in ("/contribute", "/curate", "/curate/login"):
        assert client.get(url).status_code == 404
    assert client.post("/contribute").status_code in (404, 405)
    assert not (write_settings.instance_dir / "curation.db").exists()


def test_old_attempts_are_forgotten(write_settings):
    from evidence.curation.store import attempts

    with engine_for(write_settings).begin() as conn:
        conn.execute(attempts.insert().values(at="2020-01-01T00:00:00+00:00", kind="login", key="10.0.0.1"))
        assert limits.allowed(conn, "login", "10.0.0.2")
        keys = [r.key for r in conn.execute(attempts.select())]
    assert keys == ["10.0.0.2"]
