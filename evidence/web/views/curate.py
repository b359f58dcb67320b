"""``/curate``: curators log in, review each pending submission as the YAML diff it would write,
approve (write ``data/`` and build) or reject with a reason; ``/curate/audit`` is the log.

Every page but the login needs a live session; every POST needs a valid CSRF token (403
without one) and, but the login, a session (a redirect to the login without one). Neither
refusal changes anything.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ...curation import accounts, approval, audit, limits, terms, vocabulary_edit
from ...curation.store import engine_for
from ...curation.submissions import by_id, queue, review
from ..writeguard import no_store, protect

bp = Blueprint("curate", __name__)
bp.after_request(no_store)
OPEN = ("curate.login", "curate.login_post")


def _engine():
    return engine_for(current_app.config["EVIDENCE"])


@bp.before_request
def _guard():
    protect()  # CSRF first: a forged POST is refused before anything else is looked at
    with _engine().begin() as conn:
        g.curator = accounts.current(conn, session.get("sid"))
    if g.curator is None and request.endpoint not in OPEN:
        return redirect(url_for("curate.login", next=request.path if request.method == "GET" else None))
    return None


@bp.get("/curate/login")
def login():
    if g.curator is not None:
        return redirect(url_for("curate.index"))
    return render_template("curate_login.html", error=None, email="")


@bp.post("/curate/login")
def login_post():
    email = (request.form.get("email") or "").strip()[:254]
    password = (request.form.get("password") or "")[:1000]
    with _engine().begin() as conn:
        allowed = limits.allowed(conn, "login", request.remote_addr or "unknown")
        if not allowed:
            audit.record(conn, email or "anonymous", "login-rate-limited")
    if not allowed:
        abort(429)
    with _engine().begin() as conn:
        curator_id, error = accounts.authenticate(conn, email, password)
        if curator_id is None:
            return render_template("curate_login.html", error=error, email=email), 401
        session.clear()  # a new session (and CSRF token) at every login: no fixation
        session["sid"] = accounts.start_session(conn, curator_id)
    target = request.args.get("next") or ""
    safe = target.startswith("/curate") and "//" not in target and "\\" not in target
    return redirect(target if safe else url_for("curate.index"),
                    code=303)


@bp.post("/curate/logout")
def logout():
    with _engine().begin() as conn:
        accounts.end_session(conn, session.get("sid"))
        audit.record(conn, g.curator.email, "logout")
    session.clear()
    return redirect(url_for("curate.login"), code=303)


@bp.get("/curate")
def index():
    with _engine().connect() as conn:
        pending, approved, rejected = (queue(conn, s) for s in ("pending", "approved", "rejected"))
    return render_template("curate_queue.html", pending=pending, approved=approved[-20:], rejected=rejected[-20:])


def _submission(sid: int):
    with _engine().connect() as conn:
        row = by_id(conn, sid)
    if row is None:
        abort(404)
    return row


@bp.get("/curate/submissions/<int:sid>")
def show(sid):
    row = _submission(sid)
    settings = current_app.config["EVIDENCE"]
    result = review(settings, row, curator=g.curator.email) if row.status == "pending" else None
    with _engine().connect() as conn:
        log = audit.entries(conn, sid)
    return render_template("curate_submission.html", submission=row, review=result, log=log,
                           field_name=terms.field_name, messages=get_flashed_messages())


@bp.post("/curate/submissions/<int:sid>/approve")
def approve(sid):
    row = _submission(sid)
    settings = current_app.config["EVIDENCE"]
    proposed = review(settings, row).terms if row.status == "pending" else []
    edits, problems = terms.parse(settings, request.form, proposed)
    if not problems:
        outcome = approval.approve(settings, _engine(), sid, g.curator.email,
                                   confirm=request.form.get("confirm_new") == "yes", term_edits=edits)
        problems = outcome.problems
        if outcome.done and not problems:
            flash(f"approved: wrote {', '.join(outcome.written)}; built dataset {outcome.built}")
    for problem in problems:
        flash(problem)
    return redirect(url_for("curate.show", sid=sid), code=303)


@bp.post("/curate/submissions/<int:sid>/reject")
def reject(sid):
    _submission(sid)
    outcome = approval.reject(_engine(), sid, g.curator.email, request.form.get("reason") or "")
    for problem in outcome.problems:
        flash(problem)
    return redirect(url_for("curate.show", sid=sid), code=303)


@bp.get("/curate/audit")
def audit_log():
    with _engine().connect() as conn:
        log = audit.entries(conn, limit=500)
    return render_template("curate_audit.html", log=log)


@bp.get("/curate/terms")
def terms_under_review():
    items = vocabulary_edit.uncurated(current_app.config["EVIDENCE"])
    return render_template("curate_terms.html", items=items, field_name=terms.field_name,
                           messages=get_flashed_messages())


@bp.post("/curate/terms/<kind>/<slug>")
def curate_term(kind, slug):
    settings = current_app.config["EVIDENCE"]
    try:
        with approval.one_at_a_time(settings):
            written, summary = vocabulary_edit.curate(settings, kind[:40], slug[:200], request.form)
            with _engine().begin() as conn:
                audit.record(conn, g.curator.email, "term-curated", detail=f"{written}: {summary}")
            flash(f"wrote {written} ({summary}); {approval.rebuild(settings, _engine(), g.curator.email)}")
    except vocabulary_edit.EditError as exc:
        flash(str(exc))
    return redirect(url_for("curate.terms_under_review"), code=303)
