"""Settings, read once from the environment.

Every setting has an ``EVIDENCE_`` environment variable; ``tests/test_docs.py``
checks that each one is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

#: Environment variables the project reads, with what each one means.
ENVIRONMENT = {
    "EVIDENCE_DATA_DIR": "folder with studies/ and vocabularies/ (default ./data)",
    "EVIDENCE_INSTANCE_DIR": "folder for the database, index and releases (default ./instance)",
    "EVIDENCE_DATABASE_URL": "any SQLAlchemy URL (default sqlite:///<instance>/evidence.db)",
    "EVIDENCE_INDEX_DIR": "the Whoosh search index (default <instance>/index)",
    "EVIDENCE_RELEASES_DIR": "where `evidence release` writes snapshots (default <instance>/releases)",
    "EVIDENCE_WRITE_SIDE": "on (default) serves /contribute and /curate; off on public, read-only app servers",
    "EVIDENCE_CURATION_DATABASE_URL": "submissions, curators, audit log (default sqlite:///<instance>/curation.db)",
    "EVIDENCE_SECRET_KEY": "signs the write side's session cookies (default: made once, kept in <instance>/secret_key)",
    "EVIDENCE_SECURE_COOKIES": "on (default): session cookies only over HTTPS; off for a local http:// server",
}
SWITCH = {"on": True, "1": True, "true": True, "yes": True, "off": False, "0": False, "false": False, "no": False}


def switch(name: str, text: str | None, default: bool) -> bool:
    """An on/off setting; anything else is refused, naming the variable."""
    if text is None or text.strip() == "":
        return default
    try:
        return SWITCH[text.strip().lower()]
    except KeyError:
        raise ValueError(f"{name}={text!r}: use on or off") from None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    instance_dir: Path
    database_url: str
    index_dir: Path
    releases_dir: Path
    write_side: bool = True
    curation_database_url: str = ""
    secret_key: str | None = None
    secure_cookies: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def studies_dir(self) -> Path:
        return self.data_dir / "studies"

    @property
    def vocabularies_dir(self) -> Path:
        return self.data_dir / "vocabularies"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the database is SQLite on disk, else None."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix):])
        return None

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def load_settings(env: dict | None = None, **overrides) -> Settings:
    """Settings from ``env`` (default: ``os.environ``), then ``overrides``."""
    env = os.environ if env is None else env
    data_dir = Path(overrides.pop("data_dir", None) or env.get("EVIDENCE_DATA_DIR") or "data").resolve()
    instance_dir = Path(
        overrides.pop("instance_dir", None) or env.get("EVIDENCE_INSTANCE_DIR") or "instance"
    ).resolve()
    database_url = (
        overrides.pop("database_url", None)
        or env.get("EVIDENCE_DATABASE_URL")
        or f"sqlite:///{instance_dir / 'evidence.db'}"
    )
    # absolute, not resolved: the index path is a link the build replaces, and
    # resolving it would pin the settings to one versioned folder.
    index_dir = Path(os.path.abspath(
        overrides.pop("index_dir", None) or env.get("EVIDENCE_INDEX_DIR") or instance_dir / "index"
    ))
    releases_dir = Path(
        overrides.pop("releases_dir", None)
        or env.get("EVIDENCE_RELEASES_DIR")
        or instance_dir / "releases"
    ).resolve()
    write_side = overrides.pop("write_side", None)
    secure_cookies = overrides.pop("secure_cookies", None)
    return Settings(
        data_dir=data_dir,
        instance_dir=instance_dir,
        database_url=database_url,
        index_dir=index_dir,
        releases_dir=releases_dir,
        write_side=switch("EVIDENCE_WRITE_SIDE", env.get("EVIDENCE_WRITE_SIDE"), True)
        if write_side is None else write_side,
        curation_database_url=overrides.pop("curation_database_url", None)
        or env.get("EVIDENCE_CURATION_DATABASE_URL") or f"sqlite:///{instance_dir / 'curation.db'}",
        secret_key=overrides.pop("secret_key", None) or env.get("EVIDENCE_SECRET_KEY") or None,
        secure_cookies=switch("EVIDENCE_SECURE_COOKIES", env.get("EVIDENCE_SECURE_COOKIES"), True)
        if secure_cookies is None else secure_cookies,
        extra=overrides,
    )
