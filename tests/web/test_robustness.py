"""No query string produces a server error; malformed queries get a message."""

from __future__ import annotations

import random
import string
from urllib.parse import quote

import pytest

MALFORMED = ["year:[2010 TO", '"unbalanced', "foo:bar", "(recidivism", "year:abc", "x" * 1200, "recidivism)",
             "year:[TO", "::::", "AND OR NOT", "title:", "år:[1990 TO"]


@pytest.mark.parametrize("q", MALFORMED)
def test_malformed_queries_get_a_message(client, q):
    response = client.get(f"/search?q={quote(q)}&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="notice"' in html and "Searched for:" in html


ODD_PARAMS = ["page=-1", "page=abc", "page=99999999999999999999", "per_page=0", "per_page=100000", "sort=bogus",
              "lang=xx", "lang=", "year_from=abc", "year_to=99999", "year_from=2020&year_to=1900",
              "intervention=nope", "target_group=%00", "design=" + "x" * 5000, "q=%ff%fe", "q=%00",
              "country=" + "&country=".join(["a"] * 60), "decade=19x0", "evidence_level=9", "direction=<b>"]


@pytest.mark.parametrize("params", ODD_PARAMS)
def test_odd_parameters_never_fail(client, params):
    for path in ("/", "/search", "/map", "/interventions/cbt-offenders", "/studies/landenberger-2004"):
        assert client.get(f"{path}?{params}").status_code == 200, (path, params)


def test_random_query_strings(client):
    rng = random.Random(5)
    alphabet = string.printable + "æøåÆØÅ€“”«»\u0000\u202e"
    for _ in range(150):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        response = client.get("/search", query_string={"q": q, "sort": rng.choice(["relevance", "year", q])})
        assert response.status_code == 200, repr(q)


@pytest.mark.parametrize("url, expected", [
    ("/interventions/cbt-ofenders", "/interventions/cbt-offenders"),
    ("/interventions/tuberculosis-vaccine", None),
    ("/target-groups/offender", "/target-groups/offenders"),
    ("/outcomes/recidivsm", "/outcomes/recidivism"),
    ("/studies/landenberger-2040", "/studies/landenberger-2004"),
    ("/no/such/page", None),
])
def test_404_suggests_close_pages(client, url, expected):
    response = client.get(url)
    assert response.status_code == 404
    if expected:
        assert f'href="{expected}"' in response.get_data(as_text=True)
