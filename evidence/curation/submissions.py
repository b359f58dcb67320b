"""Submissions: checked exactly as ``evidence import csv`` checks a file, stored pending, then
approved (written to ``data/`` as the import writes, and built) or rejected with a reason.

The submission keeps the uploaded bytes, not the planned records: the plan is made again
against the data as it is when a curator looks at it or approves it, so what is written is
always what the curator saw checked against the current knowledge base.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import Connection, insert, select, update

from importers.csvimport import plan_csv
from importers.plan import Importer, Plan
from importers.problems import ImportProblem, in_file_order
from importers.rows import CsvOptions
from importers.wording import Wording

from ..config import Settings
from ..records.validate import display_path
from . import audit
from .store import now, submissions

#: Largest CSV and BibTeX/RIS file taken (the whole request is capped at MAX_REQUEST in the app).
MAX_FILE = 1 << 20
MAX_REQUEST = 3 << 20
OPTION_FIELDS = ("intervention", "target_group", "outcome", "comparison", "measure", "design", "source")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str | None, default: str, suffixes: tuple[str, ...]) -> str:
    """A file name fit to show and to name in messages: no folders, no odd characters, a known suffix.

    The name is never used to open or write a file; this keeps messages plain and short.
    """
    base = re.split(r"[\\\\/]", name or "")[-1]
    base = _UNSAFE.sub("-", base).strip(".-")[:80]
    if not base or not base.lower().endswith(suffixes):
        return default
    return base


@dataclass
class Upload:
    csv_name: str
    csv_data: bytes
    options: dict[str, str]
    name: str = ""
    email: str = ""
    affiliation: str = ""
    note: str = ""
    bib_name: str | None = None
    bib_data: bytes | None = None


@dataclass
class Review:
    """What approving a submission would do now."""

    plan: Plan
    diffs: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (file in data/, status, lines)
    terms: list[dict] = field(default_factory=list)  # terms it would add: kind, slug, label, parent, synonyms

    @property
    def problems(self) -> list[ImportProblem]:
        return in_file_order(self.plan.problems)

    @property
    def enriched(self) -> list[str]:
        """Study records already in the knowledge base that the submission adds to (matched, not new)."""
        return [name for name, status, _ in self.diffs if status == "changed" and name.startswith("studies/")]


def importer(settings: Settings, upload: Upload, *, by: str = "", change: str | None = None,
             allow_duplicates: bool = True, term_edits: dict | None = None) -> Importer:
    """The import a web submission is: ``--add-terms`` (a researcher cannot know the vocabulary; the curator
    completes the terms), near-duplicates shown to the curator instead of refused, until the approval."""
    return Importer(settings.data_dir, file_name=upload.csv_name, today=dt.date.today().isoformat(),
                    by=by or upload.name or "web submission", change=change, add_terms=True,
                    allow_duplicates=allow_duplicates, term_edits=term_edits, show=inside_data(settings.data_dir),
                    wording=WEB_WORDING)


def check(settings: Settings, upload: Upload, **kwargs) -> Plan:
    """Every problem of ``upload`` at once, located by file, row and column; nothing is written."""
    plan = Plan()
    if len(upload.csv_data) > MAX_FILE or len(upload.bib_data or b"") > MAX_FILE:
        plan.problems.append(ImportProblem(upload.csv_name, "", "", f"a file may hold at most {MAX_FILE >> 10} KiB"))
        return plan
    imp = importer(settings, upload, **kwargs)
    if not imp.load(plan):  # the knowledge base itself has problems: not the researcher's to see in detail
        plan.problems = [ImportProblem("data", "", "", "the knowledge base cannot take submissions right now;"
                                       " a curator has to fix it first")]
        return plan
    options = CsvOptions(**{k: (upload.options.get(k) or "").strip() or None for k in OPTION_FIELDS})
    plan_csv(imp, plan, upload.csv_name, upload.csv_data, options, upload.bib_name, upload.bib_data,
             source_field="source")
    plan.problems = in_file_order(plan.problems)
    return plan


def create(conn: Connection, upload: Upload) -> tuple[int, str]:
    token = secrets.token_urlsafe(24)
    sid = conn.execute(insert(submissions).values(
        token=token, status="pending", created_at=now(), name=upload.name, email=upload.email,
        affiliation=upload.affiliation, note=upload.note, csv_name=upload.csv_name, csv_data=upload.csv_data,
        bib_name=upload.bib_name, bib_data=upload.bib_data,
        options=json.dumps({k: upload.options.get(k) or "" for k in OPTION_FIELDS}))).inserted_primary_key[0]
    audit.record(conn, submitter(upload), "submitted", sid, f"{upload.csv_name}"
                 + (f" with {upload.bib_name}" if upload.bib_name else ""))
    return sid, token


def submitter(upload) -> str:
    return f"submitter {upload.name} <{upload.email}>"


def upload_of(row) -> Upload:
    return Upload(row.csv_name, row.csv_data, json.loads(row.options), row.name, row.email, row.affiliation,
                  row.note, row.bib_name, row.bib_data)


def by_token(conn: Connection, token: str):
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    return conn.execute(select(submissions).where(submissions.c.token == token)).first()


def by_id(conn: Connection, sid: int):
    return conn.execute(select(submissions).where(submissions.c.id == sid)).first()


def queue(conn: Connection, status: str = "pending") -> list:
    return list(conn.execute(select(submissions.c.id, submissions.c.created_at, submissions.c.name,
                                    submissions.c.affiliation, submissions.c.csv_name, submissions.c.status)
                             .where(submissions.c.status == status).order_by(submissions.c.id)))


def history_text(row, curator: str | None) -> tuple[str, str]:
    """The history entry's ``by`` and ``change``: the submitter (never their e-mail: data/ is public) and the
    curator."""
    by = f"{row.name} ({row.affiliation})" if row.affiliation else row.name
    change = f"Submitted on the web by {by} (submission {row.id}, {row.csv_name})"
    return by, change + (f"; approved by curator {curator}" if curator else "")


def review(settings: Settings, row, *, curator: str | None = None, confirm: bool = False,
           term_edits: dict | None = None) -> Review:
    by, change = history_text(row, curator)
    plan = check(settings, upload_of(row), by=by, change=change, allow_duplicates=confirm, term_edits=term_edits)
    out = Review(plan)
    root = settings.data_dir
    for c in plan.changes:
        if c.status == "unchanged":
            continue
        shown = c.path.relative_to(root).as_posix()
        lines = list(difflib.unified_diff((c.old or "").splitlines(), c.new.splitlines(),
                                          "/dev/null" if c.old is None else f"a/{shown}", f"b/{shown}",
                                          lineterm="", n=2))
        out.diffs.append((shown, c.status, lines))
        if c.path.parent.name == "vocabularies":
            old = {t.get("slug") for t in (yaml.safe_load(c.old or "") or []) if isinstance(t, dict)}
            for term in yaml.safe_load(c.new) or []:
                if isinstance(term, dict) and term.get("slug") not in old:
                    out.terms.append({"kind": c.path.stem, **term})
    return out


#: The review page's words for what the command line's ``--source`` and ``--force`` do: the submission's
#: Source field, and the page's own confirmation.
WEB_WORDING = Wording(same_source="the same source",
                      force_advice="tick 'I have checked: these are different studies' below and approve again",
                      forced="a new study once a curator confirms these are different studies")


def inside_data(root: Path):
    """How a web page names a file: inside data/ (the server's folders are nobody's business there)."""
    bases = [root, root.resolve()]

    def show(path) -> str:
        for base in bases:
            try:
                return Path(path).relative_to(base).as_posix()
            except ValueError:
                continue
        return display_path(Path(path))

    return show


def inside(folder: Path, paths) -> bool:
    """Every path is a file under ``folder`` (never outside the data folder, whatever a submission held)."""
    root = folder.resolve()
    return all(root in p.resolve().parents for p in paths)


def decide(conn: Connection, sid: int, status: str, curator: str, reason: str | None = None,
           written: list[str] | None = None) -> bool:
    """Pending → approved or rejected, once: False when someone else decided first."""
    result = conn.execute(update(submissions).where(submissions.c.id == sid, submissions.c.status == "pending")
                          .values(status=status, decided_at=now(), decided_by=curator, reason=reason,
                                  written=json.dumps(written) if written is not None else None))
    return result.rowcount == 1
