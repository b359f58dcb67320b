"""A term still marked needs_curation says so on its page; a curated one does not."""

from __future__ import annotations


def test_a_term_under_review_is_marked_on_its_page(client):
    # impact60 is in the repository's vocabulary with needs_curation: true (its content is not described)
    html = client.get("/interventions/impact60?lang=en").get_data(as_text=True)
    assert 'class="under-review"' in html and "Under review" in html
    assert "Under gennemsyn" in client.get("/interventions/impact60?lang=da").get_data(as_text=True)
    assert 'class="under-review"' not in client.get("/interventions/cbt-offenders").get_data(as_text=True)
    assert 'class="under-review"' not in client.get("/outcomes/recidivism").get_data(as_text=True)
