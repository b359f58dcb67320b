"""``/`` and ``/search``: free text, facets, sorting and pages, all in the URL."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ...db.extension import db
from ...search.reader import IndexMissing
from ...services import overview
from ...services import search as search_service
from .. import searchview, urlstate
from ..i18n import current_lang

bp = Blueprint("search", __name__)


def _page(home: bool):
    args = request.args
    filters = {name: args.getlist(name) for name in search_service.FILTERS}
    try:
        result = search_service.find(current_app.extensions["evidence.search"], args.get("q", "")[:1000], filters,
                                     args.get("sort", "relevance"), args.get("page", 1), args.get("per_page", 20),
                                     current_lang())
    except IndexMissing:
        return render_template("error.html", status=503, missing_index=True), 503
    terms = searchview.term_labels(result)
    return render_template(
        "search.html", home=home, result=result, q=args.get("q", "")[:1000], hits=searchview.hit_rows(result, terms),
        messages=[searchview.message_text(m) for m in result.messages],
        facets=searchview.facet_groups(result), active=searchview.active_filters(result),
        pages=searchview.pagination(result), sorts=searchview.sort_options(), urlstate=urlstate,
        year_from=args.get("year_from", "")[:8], year_to=args.get("year_to", "")[:8],
        areas=overview.areas(db.session(), current_lang()) if home else [],
        group_counts=overview.study_counts(db.session()) if home else {})


@bp.get("/")
def home():
    return _page(home=True)


@bp.get("/search")
def search():
    return _page(home=False)
