"""Helpers shared by the write side's tests (imported by name: the test folders are not packages)."""

from __future__ import annotations

import hashlib
import re

PASSWORD = "correct horse battery staple"
CURATOR = "curator@example.org"


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client, email=CURATOR, password=PASSWORD):
    token = token_of(client.get("/curate/login").get_data(as_text=True))
    return client.post("/curate/login", data={"email": email, "password": password, "csrf_token": token})


def state_hash(settings) -> str:
    """One hash over every file of data/ and the bytes of the read-side database."""
    digest = hashlib.sha256()
    for path in sorted(settings.data_dir.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(settings.data_dir)).encode() + b"\0" + path.read_bytes())
    digest.update(settings.sqlite_path.read_bytes())
    return digest.hexdigest()


GOOD_CSV = ("study,design,country,ai,bi,ci,di\n"
            "Nielsen (2019),rct,Denmark,12,38,20,30\n")
OPTIONS = {"intervention": "cbt-offenders", "target_group": "offenders", "outcome": "recidivism",
           "comparison": "control", "source": "Nielsen, A. (2019). A trial. Journal of Trials, 1(1), 1-10."}
PERSON = {"name": "Ada Researcher", "email": "ada@example.org", "affiliation": "Aarhus University"}
