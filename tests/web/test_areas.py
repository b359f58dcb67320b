"""Areas are the roots of the target-group hierarchy, whatever they are: here the five SØM areas, with any
group that is still a root placed under one (a private copy of the data; a no-op where the published
vocabulary already does it)."""

from __future__ import annotations

import re

import yaml

from evidence import create_app

SOM_AREAS = [
    ("vulnerable-children-and-youth", "Udsatte børn og unge", "Vulnerable children and young people"),
    ("vulnerable-adults", "Udsatte voksne", "Vulnerable adults"),
    ("disability", "Personer med handicap", "People with disabilities"),
    ("unemployed-and-sick-listed", "Ledige og sygemeldte", "Unemployed and sick-listed people"),
    ("older-people", "Ældre", "Older people"),
]
#: today's roots → the area they go under in the fixture (roots not named stay roots)
PLACED = {"offenders": "vulnerable-adults", "homeless-people": "vulnerable-adults",
          "at-risk-of-homelessness": "vulnerable-adults", "people-with-mental-illness": "disability",
          "unemployed": "unemployed-and-sick-listed",
          "young-people-antisocial-behaviour": "vulnerable-children-and-youth",
          "children-low-income-mothers": "vulnerable-children-and-youth"}


def _som_vocabulary(data_dir) -> None:
    path = data_dir / "vocabularies" / "target_groups.yaml"
    terms = yaml.safe_load(path.read_text(encoding="utf-8"))
    for t in terms:
        if t.get("parent") is None and t["slug"] in PLACED:
            t["parent"] = PLACED[t["slug"]]
    have = {t["slug"] for t in terms}  # the published vocabulary may already have the areas
    roots = [{"slug": slug, "label": {"da": da, "en": en}} for slug, da, en in SOM_AREAS if slug not in have]
    path.write_text(yaml.safe_dump(roots + terms, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_front_page_and_map_list_the_som_areas(cli, settings, data_dir):
    _som_vocabulary(data_dir)
    result = cli("build")
    assert result.exit_code == 0, result.output
    app = create_app(settings, TESTING=True)
    try:
        client = app.test_client()
        home = client.get("/?lang=da").get_data(as_text=True)
        cards = re.findall(r'<li class="area-card">\s*<h3><a href="/target-groups/([^"]+)"', home)
        # every area with studies is a card; a root without studies, and a group below an area, is not
        roots = {slug for slug, _da, _en in SOM_AREAS}
        with_studies = {a for a in roots if client.get(f"/target-groups/{a}").get_data(as_text=True)
                        .count('class="overview-row') > 0}
        assert with_studies and with_studies <= set(cards)
        assert not (roots - with_studies) & set(cards)
        assert "offenders" not in cards and "juvenile-offenders" not in cards
        adults = home[home.index('href="/target-groups/vulnerable-adults"'):]
        adults = adults[:adults.index("</li>\n  \n")] if "</li>\n  \n" in adults else adults[:3000]
        assert 'href="/target-groups/juvenile-offenders"' in adults
        assert 'href="/target-groups/homeless-people"' in adults
        area = client.get("/target-groups/vulnerable-adults?lang=da").get_data(as_text=True)
        assert "Målgrupper på området" in area and "Kognitive adfærdsprogrammer for kriminelle" in area
        assert 'class="overview-row' in area
        narrowed = client.get("/map?area=unemployed-and-sick-listed&lang=da").get_data(as_text=True)
        assert 'value="unemployed-and-sick-listed" selected' in narrowed and "Mentorstøtte" in narrowed
        assert "Kognitive adfærdsprogrammer" not in narrowed
    finally:
        app.extensions["evidence.read"].dispose()
