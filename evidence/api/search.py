"""/api/v1/search: free text with the same facets, sorting and pages as the search page."""

from __future__ import annotations

from flask import current_app

from ..search.reader import IndexHolder
from ..search.service import search as run_search
from . import sources
from .blueprint import VERSION_HEADERS, Blueprint
from .pages import page_of
from .schemas import SearchArgs, SearchResultSchema

bp = Blueprint("Search", __name__, description="Search studies: free text, facets, sorting")
FACETS = ("intervention", "target_group", "outcome", "evidence_level", "design", "country", "direction", "decade",
          "year_from", "year_to")


def _index() -> IndexHolder:
    holders = current_app.extensions.setdefault("evidence.api.search", {})
    if "search_index" not in holders:
        holders["search_index"] = IndexHolder(current_app.config["EVIDENCE"].index_dir)
    return holders["search_index"]


@bp.route("/search")
@bp.arguments(SearchArgs, location="query")
@bp.response(200, SearchResultSchema, headers=VERSION_HEADERS)
def search(args):
    """Studies matching `q` and the facets. Facet values of one name are alternatives; names combine.

    Every facet comes back with counts (as if its own filter were not set), and
    `suggestions` offers a spelling or a filter to drop when nothing matched.
    """
    filters = {name: args[name] for name in FACETS if args.get(name) not in (None, [])}
    result = run_search(_index(), q=args["q"], filters=filters, sort=args["sort"], page=args["page"],
                        per_page=args["per_page"], lang=args["lang"])
    out = result.to_dict()
    out["dataset_version"] = result.dataset_version or sources.current_version()
    out.update(page_of(result.total, result.page, result.per_page))
    return out
