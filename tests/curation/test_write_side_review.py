"""The review screen: near-duplicates need the curator's confirmation; new terms get the curator's labels."""

from __future__ import annotations

import io
import re

import yaml
from click.testing import CliRunner
from curation_helpers import OPTIONS, PERSON, login, state_hash, token_of

from evidence.cli import main


def submit_and_open(write_app, csv_text: str, **options):
    researcher = write_app.test_client()
    token = token_of(researcher.get("/contribute").get_data(as_text=True))
    data = {**OPTIONS, **PERSON, **options, "csrf_token": token, "csv": (io.BytesIO(csv_text.encode()), "s.csv")}
    assert researcher.post("/contribute", data=data, content_type="multipart/form-data").status_code == 303
    curator = write_app.test_client()
    login(curator)
    sid = re.search(r'href="/curate/submissions/(\d+)"', curator.get("/curate").get_data(as_text=True)).group(1)
    return curator, sid, curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)


def test_a_near_duplicate_is_approved_only_when_the_curator_confirms(write_app, write_settings):
    curator, sid, page = submit_and_open(write_app, "study,ai,bi,ci,di\nGuerra (1990),10,19,23,29\n",
                                         target_group="juvenile-offenders", source="Another review (2020)")
    assert "studies/guerra-1990.yaml (the same first author and year (Guerra, 1990))" in page
    assert 'name="confirm_new"' in page
    before = state_hash(write_settings)
    curator.post(f"/curate/submissions/{sid}/approve", data={"csrf_token": token_of(page)})
    page = curator.get(f"/curate/submissions/{sid}").get_data(as_text=True)
    # the importer's refusal, flashed; the file is named inside data/, never by the server's folders
    assert "&#39;Guerra (1990)&#39; may be studies/guerra-1990.yaml (the same first author" in page
    assert str(write_settings.data_dir) not in page and "--force" not in page and "--source" not in page
    assert "give the study&#39;s doi (or the same source) if it is that study" in page
    assert "I have checked: these are different studies" in page
    # the advice is the page's own control, made by the importer (evidence.curation.submissions.WEB_WORDING)
    assert "another study, tick &#39;I have checked: these are different studies&#39; below and approve again" \
        in page
    assert state_hash(write_settings) == before  # refused: nothing written, still pending
    curator.post(f"/curate/submissions/{sid}/approve", data={"csrf_token": token_of(page), "confirm_new": "yes"})
    assert (write_settings.data_dir / "studies" / "guerra-1990-b.yaml").exists()


def test_new_terms_take_the_curators_labels_parent_and_synonyms(write_app, write_settings):
    curator, sid, page = submit_and_open(write_app, "study,ai,bi,ci,di\nNielsen (2019),12,38,20,30\n",
                                         intervention="peer-mentoring-offenders")
    assert "interventions: peer-mentoring-offenders" in page
    assert 'name="term-interventions-peer-mentoring-offenders-da"' in page
    form = {"csrf_token": token_of(page), "term-interventions-peer-mentoring-offenders-parent": "no-such-parent",
            "term-interventions-peer-mentoring-offenders-da": "Mentorordning for kriminelle",
            "term-interventions-peer-mentoring-offenders-en": "Peer mentoring for offenders"}
    curator.post(f"/curate/submissions/{sid}/approve", data=form)
    assert "parent &#39;no-such-parent&#39; is not a term" in curator.get(f"/curate/submissions/{sid}").get_data(
        as_text=True)
    assert not (write_settings.data_dir / "studies" / "nielsen-2019.yaml").exists()
    form.update({"term-interventions-peer-mentoring-offenders-parent": "cbt-offenders",
                 "term-interventions-peer-mentoring-offenders-synonyms-da": "mentor, makker",
                 "term-interventions-peer-mentoring-offenders-synonyms-en": "peer mentor"})
    curator.post(f"/curate/submissions/{sid}/approve", data=form)
    terms = yaml.safe_load((write_settings.data_dir / "vocabularies" / "interventions.yaml").read_text())
    term = next(t for t in terms if t["slug"] == "peer-mentoring-offenders")
    assert term == {"slug": "peer-mentoring-offenders", "label": {"da": "Mentorordning for kriminelle",
                                                                "en": "Peer mentoring for offenders"},
                    "parent": "cbt-offenders", "synonyms": {"da": ["mentor", "makker"], "en": ["peer mentor"]}}
    assert write_app.test_client().get("/interventions/peer-mentoring-offenders").status_code == 200


def test_a_term_left_unedited_is_added_under_review(write_app, write_settings):
    curator, sid, page = submit_and_open(write_app, "study,ai,bi,ci,di\nNielsen (2019),12,38,20,30\n",
                                         intervention="peer-mentoring-offenders")
    curator.post(f"/curate/submissions/{sid}/approve", data={"csrf_token": token_of(page)})
    terms = yaml.safe_load((write_settings.data_dir / "vocabularies" / "interventions.yaml").read_text())
    assert next(t for t in terms if t["slug"] == "peer-mentoring-offenders")["needs_curation"] is True
    html = write_app.test_client().get("/interventions/peer-mentoring-offenders").get_data(as_text=True)
    assert 'class="under-review"' in html


def test_curator_add_from_the_command_line(write_settings):
    env = {"EVIDENCE_DATA_DIR": str(write_settings.data_dir), "EVIDENCE_INSTANCE_DIR": str(write_settings.instance_dir)}
    result = CliRunner().invoke(main, ["curator", "add", "Kim@Example.org"], input="a long enough password\n", env=env)
    assert result.exit_code == 0, result.output
    assert "Curator kim@example.org added" in result.output
    result = CliRunner().invoke(main, ["curator", "add", "kim@example.org"], input="a long enough password\n", env=env)
    assert result.exit_code == 1 and "exists already" in result.output
    result = CliRunner().invoke(main, ["curator", "add", "lee@example.org"], input="short\n", env=env)
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    db = (write_settings.instance_dir / "curation.db").read_bytes()
    assert b"a long enough password" not in db and b"scrypt:" in db


def test_the_same_study_by_doi_is_shown_as_enriched_not_new(write_app, write_settings):
    record = yaml.safe_load((write_settings.data_dir / "studies" / "guerra-1990.yaml").read_text())
    assert not record["citation"].get("doi")
    path = write_settings.data_dir / "studies" / "guerra-1990.yaml"
    path.write_text(path.read_text().replace("  year: 1990\n", "  year: 1990\n  doi: 10.1037/0012-1649.26.2.269\n"))
    curator, sid, page = submit_and_open(write_app, "study,doi,outcome,ai,bi,ci,di,design\n"
                                         "Guerra (1990),10.1037/0012-1649.26.2.269,employment,8,21,20,32,rct\n",
                                         target_group="juvenile-offenders", source="Another review (2020)")
    assert "the submission adds to studies/guerra-1990.yaml" in page.replace("\n", " ") or \
        "indsendelsen føjer til studies/guerra-1990.yaml" in page
    assert "+++ b/studies/guerra-1990.yaml" in page and "guerra-1990-b" not in page


def test_a_term_under_review_is_completed_on_the_terms_page(write_app, write_settings):
    curator = write_app.test_client()
    login(curator)
    page = curator.get("/curate/terms").get_data(as_text=True)
    assert "interventions: impact60" in page  # in the repository's vocabulary with needs_curation: true
    path = write_settings.data_dir / "vocabularies" / "interventions.yaml"
    before = path.read_text()
    form = {"csrf_token": token_of(page), "term-interventions-impact60-da": "IMPACT60 (Aalborg Kommune)",
            "term-interventions-impact60-en": "IMPACT60 (Aalborg Municipality)",
            "term-interventions-impact60-parent": "impact60"}
    curator.post("/curate/terms/interventions/impact60", data=form)
    assert "the hierarchy would have a cycle" in curator.get("/curate/terms").get_data(as_text=True)
    assert path.read_text() == before
    form["term-interventions-impact60-parent"] = ""
    form["term-interventions-impact60-synonyms-da"] = "IMPACT60, social investering"
    form["term-interventions-impact60-synonyms-en"] = "IMPACT60, social investment"
    curator.post("/curate/terms/interventions/impact60", data=form)
    page = curator.get("/curate/terms").get_data(as_text=True)
    assert "No term is under review" in page or "Intet begreb er under gennemsyn" in page
    after = path.read_text()
    begin = before.index("- slug: impact60\n")
    end = before.find("\n- ", begin) + 1 or len(before)
    tail = before[end:]
    assert after[:begin] == before[:begin] and after.endswith(tail)  # only the term's own block changed
    assert "needs_curation" not in after[begin:len(after) - len(tail)]
    term = next(t for t in yaml.safe_load(after) if t["slug"] == "impact60")
    assert term["description"]["en"].startswith("Social-investment project in Aalborg")  # kept
    assert term["synonyms"] == {"da": ["IMPACT60", "social investering"], "en": ["IMPACT60", "social investment"]}
    html = write_app.test_client().get("/interventions/impact60").get_data(as_text=True)
    assert 'class="under-review"' not in html  # rebuilt: the page no longer says under review
    result = CliRunner().invoke(main, ["validate", "--strict"], env={"EVIDENCE_DATA_DIR": str(write_settings.data_dir)})
    assert result.exit_code == 0, result.output
    log = curator.get("/curate/audit").get_data(as_text=True)
    assert "<td>term-curated</td>" in log and "<td>built</td>" in log
