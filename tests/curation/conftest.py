"""A knowledge base of its own (a copy of data/, built), its app with the write side on, a curator."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from evidence.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
CURATOR = "curator@example.org"


@pytest.fixture
def write_settings(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    return load_settings(env={}, data_dir=data, instance_dir=tmp_path / "instance", secure_cookies=False,
                         write_side=True)


@pytest.fixture
def write_app(write_settings):
    from evidence import create_app
    from evidence.build import build
    from evidence.curation import accounts
    from evidence.curation.store import engine_for

    build(write_settings)
    with engine_for(write_settings).begin() as conn:
        accounts.add_curator(conn, CURATOR, PASSWORD)
    return create_app(write_settings, TESTING=True)


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
