"""Submit, review, approve, reject: the write side end to end through the Flask test client."""

from __future__ import annotations

import io
import re

import yaml
from curation_helpers import GOOD_CSV, OPTIONS, PERSON, login, token_of


def submit(client, csv_text: str, name="nielsen.csv", **extra):
    token = token_of(client.get("/contribute").get_data(as_text=True))
    data = {**OPTIONS, **PERSON, **extra, "csrf_token": token, "csv": (io.BytesIO(csv_text.encode()), name)}
    return client.post("/contribute", data=data, content_type="multipart/form-data")


def test_every_problem_at_once_with_row_and_column(write_app, write_settings):
    client = write_app.test_client()
    # an unknown outcome cannot be proposed as a new term (a curator must say binary or continuous)
    response = submit(client, "study,outcome,ai,bi,ci,di\nNielsen (2019),recidivsm,12,38,twenty,30\n")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "2 problems" in html or "2 problemer" in html
    assert "<td>nielsen.csv</td><td>2</td><td>ci</td>" in html
    assert "<td>nielsen.csv</td><td>2</td><td>outcome</td><td>unknown outcome &#39;recidivsm&#39;" in html
    assert "effects." not in html
    assert not list((write_settings.data_dir / "studies").glob("nielsen-2019*"))


def test_submit_follow_approve_and_the_page_is_live(write_app, write_settings):
    researcher = write_app.test_client()
    response = submit(researcher, GOOD_CSV)
    assert response.status_code == 303, response.get_data(as_text=True)
    follow = response.headers["Location"]
    assert re.fullmatch(r"/contribute/[A-Za-z0-9_-]{20,64}", follow)
    assert "waiting for a curator" in researcher.get(follow + "?lang=en").get_data(as_text=True)
    assert not (write_settings.data_dir / "studies" / "nielsen-2019.yaml").exists()
    assert researcher.get("/studies/nielsen-2019").status_code == 404

    curator = write_app.test_client()
    assert login(curator).status_code == 303
    queue = curator.get("/curate").get_data(as_text=True)
    sid = re.search(r'href="/curate/submissions/(\d+)"', queue).group(1)
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    assert "studies/nielsen-2019.yaml" in page and "+id: nielsen-2019" in page
    response = curator.post(f"/curate/submissions/{sid}/approve", data={"csrf_token": token_of(page)})
    assert response.status_code == 303

    record = yaml.safe_load((write_settings.data_dir / "studies" / "nielsen-2019.yaml").read_text())
    history = record["provenance"]["history"][-1]
    assert history["by"] == "Ada Researcher (Aarhus University)"
    assert "approved by curator curator@example.org" in history["change"]
    assert "ada@example.org" not in (write_settings.data_dir / "studies" / "nielsen-2019.yaml").read_text()
    assert researcher.get("/studies/nielsen-2019").status_code == 200
    status = researcher.get(follow + "?lang=en").get_data(as_text=True)
    assert "Approved and published" in status and "/studies/nielsen-2019" in status
    log = curator.get("/curate/audit").get_data(as_text=True)
    for action in ("submitted", "login", "approved", "built"):
        assert f"<td>{action}</td>" in log


def test_reject_with_a_reason_the_submitter_sees(write_app, write_settings):
    researcher = write_app.test_client()
    follow = submit(researcher, GOOD_CSV).headers["Location"]
    curator = write_app.test_client()
    login(curator)
    sid = re.search(r'href="/curate/submissions/(\d+)"', curator.get("/curate").get_data(as_text=True)).group(1)
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    curator.post(f"/curate/submissions/{sid}/reject", data={"csrf_token": token_of(page),
                                                           "reason": "The trial is already in the base."})
    status = researcher.get(follow + "?lang=en").get_data(as_text=True)
    assert "Not accepted" in status and "The trial is already in the base." in status
    assert not (write_settings.data_dir / "studies" / "nielsen-2019.yaml").exists()


def test_one_study_typed_into_the_form(write_app, write_settings):
    client = write_app.test_client()
    page = client.get("/contribute").get_data(as_text=True)
    assert "Bidrag med et studie" in page and 'name="csrf_token"' in page
    fields = {"mode": "single", "study": "Nielsen (2019)", "country": "Denmark", "ai": "12", "bi": "38",
              "ci": "20", "di": "x", **OPTIONS, **PERSON, "csrf_token": token_of(page)}
    response = client.post("/contribute?lang=en", data=fields)
    assert response.status_code == 422
    assert "<td>form</td><td>2</td><td>di</td><td>&#39;x&#39; is not a number</td>" in response.get_data(as_text=True)
    response = client.post("/contribute", data={**fields, "di": "30"})
    assert response.status_code == 303
    curator = write_app.test_client()
    login(curator)
    sid = re.search(r'href="/curate/submissions/(\d+)"', curator.get("/curate").get_data(as_text=True)).group(1)
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    assert "+id: nielsen-2019" in page and "+      di: 30" in page


def test_the_template_and_the_way_in(write_app):
    client = write_app.test_client()
    assert 'href="/contribute"' in client.get("/").get_data(as_text=True)
    with client.get("/contribute/extraction-template.csv") as response:
        assert response.status_code == 200 and response.data.startswith(b"study,doi,bibkey,design")


def test_citations_from_an_uploaded_bibtex_file(write_app, write_settings):
    client = write_app.test_client()
    bib = ("@article{nielsen2019, author = {Nielsen, Anne and M{\\o}ller, Bo}, year = {2019},\n"
           " title = {A randomised trial of cognitive training for young offenders},\n"
           " journal = {Nordic Journal of Criminology}, doi = {10.1000/xyz123}}\n")
    token = token_of(client.get("/contribute").get_data(as_text=True))
    data = {**OPTIONS, **PERSON, "csrf_token": token, "csv": (io.BytesIO(GOOD_CSV.encode()), "nielsen.csv"),
            "bib": (io.BytesIO(bib.encode()), "refs.bib")}
    assert client.post("/contribute", data=data, content_type="multipart/form-data").status_code == 303
    curator = write_app.test_client()
    login(curator)
    sid = re.search(r'href="/curate/submissions/(\d+)"', curator.get("/curate").get_data(as_text=True)).group(1)
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    assert "+  title: A randomised trial of cognitive training for young offenders" in page
    assert "+  doi: 10.1000/xyz123" in page and "Møller, Bo" in page and "refs.bib" in page

    broken = {**data, "csrf_token": token, "csv": (io.BytesIO(GOOD_CSV.encode()), "nielsen.csv"),
              "bib": (io.BytesIO(b"@article{x, title = {unclosed\n"), "refs.bib")}
    response = client.post("/contribute?lang=en", data=broken, content_type="multipart/form-data")
    assert response.status_code == 422 and "<td>refs.bib</td>" in response.get_data(as_text=True)
