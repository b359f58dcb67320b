"""``/contribute``: a researcher uploads an extraction CSV (with an optional BibTeX/RIS file)
or fills in one study; it is checked as ``evidence import csv`` checks it, every problem at
once, and a valid submission waits for a curator. ``/contribute/<token>`` follows it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for

from ...curation import limits
from ...curation.store import engine_for
from ...curation.submissions import MAX_FILE, OPTION_FIELDS, Upload, by_token, check, create, safe_name
from ..writeguard import no_store, protect
from .contribute_form import SINGLE_FIELDS, single_study_csv

bp = Blueprint("contribute", __name__)
TEMPLATE = Path(__file__).resolve().parents[3] / "templates" / "extraction-template.csv"
bp.before_request(protect)
bp.after_request(no_store)

EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")
TEXT_LIMITS = {"name": 200, "email": 254, "affiliation": 300, "note": 2000, "source": 1000}


def _engine():
    return engine_for(current_app.config["EVIDENCE"])


def _file(key: str, default: str, suffixes: tuple[str, ...]) -> tuple[str | None, bytes | None, str | None]:
    """(shown name, bytes, problem) of an uploaded file; (None, None, None) when none was sent."""
    upload = request.files.get(key)
    if upload is None or not upload.filename:
        return None, None, None
    data = upload.stream.read(MAX_FILE + 1)
    upload.close()  # a large upload is spooled to a temporary file: give it back now
    name = safe_name(upload.filename, default, suffixes)
    if len(data) > MAX_FILE:
        return name, None, f"{name}: the file is larger than {MAX_FILE >> 10} KiB"
    return name, data, None


def _form_values() -> dict[str, str]:
    keys = (*OPTION_FIELDS, "name", "email", "affiliation", "note", "mode", *SINGLE_FIELDS)
    return {k: (request.form.get(k) or "").strip()[:TEXT_LIMITS.get(k, 200)] for k in keys}


def _person_problems(values: dict[str, str]) -> list[str]:
    out = []
    if not values["name"]:
        out.append("name")
    if not EMAIL.match(values["email"]):
        out.append("email")
    if not values["affiliation"]:
        out.append("affiliation")
    return out


@bp.get("/contribute")
def form():
    return render_template("contribute.html", values={}, problems=[], person=[], file_problems=[])


@bp.get("/contribute/extraction-template.csv")
def extraction_template():
    return send_file(TEMPLATE, mimetype="text/csv", as_attachment=True,
                     download_name="extraction-template.csv")


@bp.post("/contribute")
def submit():
    with _engine().begin() as conn:
        allowed = limits.allowed(conn, "submit", request.remote_addr or "unknown")
    if not allowed:
        abort(429)
    values = _form_values()
    person = _person_problems(values)
    file_problems: list[str] = []
    if values["mode"] == "single":
        csv_name, csv_data, bib_name, bib_data = "form", single_study_csv(values), None, None
    else:
        csv_name, csv_data, problem = _file("csv", "upload.csv", (".csv", ".txt"))
        file_problems += [problem] if problem else []
        bib_name, bib_data, problem = _file("bib", "references.bib", (".bib", ".bibtex", ".ris", ".txt"))
        file_problems += [problem] if problem else []
        if csv_name is None:
            file_problems.append("csv")
    problems = []
    if csv_data is not None:
        upload = Upload(csv_name, csv_data, {k: values[k] for k in OPTION_FIELDS}, values["name"], values["email"],
                        values["affiliation"], values["note"], bib_name, bib_data)
        problems = check(current_app.config["EVIDENCE"], upload).problems
    if person or file_problems or problems or csv_data is None:
        return render_template("contribute.html", values=values, problems=problems, person=person,
                               file_problems=file_problems), 422
    with _engine().begin() as conn:
        _sid, token = create(conn, upload)
    return redirect(url_for("contribute.follow", token=token), code=303)


@bp.get("/contribute/<token>")
def follow(token):
    with _engine().connect() as conn:
        row = by_token(conn, token)
    if row is None:
        abort(404)
    written = json.loads(row.written) if row.written else []
    studies = [name[len("studies/"):-len(".yaml")] for name in written
               if name.startswith("studies/") and name.endswith(".yaml")]
    return render_template("contribute_status.html", submission=row, studies=studies)
