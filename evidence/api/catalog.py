"""/api/v1/studies, the vocabularies (/interventions, /target-groups, /outcomes, /comparisons) and /search.

Thin resources over ``queries`` (studies, terms) and ``evidence.search.service``.
"""

from __future__ import annotations

from flask import current_app, g

from ..db.extension import db
from ..records.schemas import SLUG
from ..search.reader import IndexHolder
from ..search.service import search as run_search
from . import queries, sources
from .blueprint import VERSION_HEADERS, Blueprint
from .common import page_of
from .dumping import compile_schema
from .problems import bad_request, not_found
from .schemas import (SearchArgs, SearchResultSchema, StudyArgs, StudyListSchema, StudySchema, TermDetailSchema,
                      TermListSchema)

studies_bp = Blueprint("Studies", __name__, description="Primary studies and their effect estimates")
FILTER_NAMES = ("intervention", "target_group", "outcome", "design", "evidence_level", "country",
                "year_from", "year_to")


@studies_bp.route("/studies")
@studies_bp.arguments(StudyArgs, location="query")
@studies_bp.response(200, StudyListSchema, headers=VERSION_HEADERS)
def list_studies(args):
    """Studies, ordered by id. Vocabulary filters include the terms below (a group's sub-groups)."""
    filters = queries.StudyFilters(**{k: args.get(k) for k in FILTER_NAMES})
    try:
        total, items = queries.studies(db.session(), sources.vocabulary(), filters, args["page"], args["per_page"])
    except queries.UnknownTerm as exc:
        name = queries.FIELD[exc.kind]
        raise bad_request(f"Unknown {name.replace('_', ' ')} '{exc.slug}'.",
                          errors={name: [f"unknown value '{exc.slug}'"]}, suggestions=exc.suggestions) from None
    return {"dataset_version": sources.current_version(), **page_of(total, args["page"], args["per_page"]),
            "items": items}


@studies_bp.route("/studies/<string:study_id>")
@studies_bp.response(200, StudySchema, headers=VERSION_HEADERS)
@studies_bp.not_found("study")
def get_study(study_id):
    """One study: citation, design, every effect estimate as reported and computed, and its parameters."""
    session = db.session()
    found = queries.study(session, study_id, sources.current().parameters) if len(study_id) <= 100 else None
    if found is None:
        raise not_found(f"There is no study '{study_id}'.", queries.suggest_study(session, study_id[:100]))
    return {"dataset_version": sources.current_version(), **found}


vocabularies_bp = Blueprint("Vocabularies", __name__,
                            description="Interventions, target groups, outcomes and comparisons: "
               "the slugs the other endpoints filter by, with Danish and English labels")


def _routes(segment: str, kind: str) -> None:
    noun = segment.rstrip("s").replace("-", " ")

    def list_view():
        terms = queries.terms(db.session(), sources.vocabulary(), kind, sources.current().parameters)
        return {"dataset_version": sources.current_version(), "total": len(terms), "items": terms}

    def detail_view(slug):
        vocab = sources.vocabulary()
        if not SLUG.match(slug) or len(slug) > 100:
            raise not_found(f"There is no {noun} '{slug}'.", vocab.suggest(kind, slug.lower()[:100]))
        try:
            found = queries.term(db.session(), vocab, kind, slug, sources.current().parameters)
        except queries.UnknownTerm as exc:
            raise not_found(f"There is no {noun} '{slug}'.", exc.suggestions) from None
        return {"dataset_version": sources.current_version(), **found}

    name = segment.replace("-", "_")
    list_view.__name__, detail_view.__name__ = f"list_{name}", f"get_{name}"
    list_view.__doc__ = f"Every {noun} in hierarchy order, with how many studies and parameters use it."
    detail_view.__doc__ = f"One {noun}: labels, place in the hierarchy, its studies (incl. below) and parameters."
    vocabularies_bp.route(f"/{segment}", endpoint=f"list_{name}")(
        vocabularies_bp.response(200, TermListSchema, headers=VERSION_HEADERS)(list_view))
    vocabularies_bp.route(f"/{segment}/<string:slug>", endpoint=f"get_{name}")(
        vocabularies_bp.not_found(noun)(
            vocabularies_bp.response(200, TermDetailSchema, headers=VERSION_HEADERS)(detail_view)))


for _segment, _kind in queries.KINDS.items():
    _routes(_segment, _kind)


search_bp = Blueprint("Search", __name__, description="Search studies: free text, facets, sorting")
FACETS = ("intervention", "target_group", "outcome", "evidence_level", "design", "country", "direction", "decade",
          "year_from", "year_to")


_dump_search = compile_schema(SearchResultSchema)
SEARCH_RESULT_FIELDS = ("q", "hits", "total", "page", "pages", "per_page", "sort", "facets", "messages",
                        "interpretation", "suggestions")


def _index() -> IndexHolder:
    """The app's index holder, shared with the pages: one open index and one set of caches per process."""
    return current_app.extensions["evidence.search"]


@search_bp.route("/search")
@search_bp.arguments(SearchArgs(), location="query")  # one instance, not one per request
@search_bp.response(200, SearchResultSchema, headers=VERSION_HEADERS)
def search(args):
    """Studies matching `q` and the facets. Facet values of one name are alternatives; names combine.

    Every facet comes back with counts (as if its own filter were not set), and
    `suggestions` offers a spelling or a filter to drop when nothing matched.
    """
    filters = {name: args[name] for name in FACETS if args.get(name) not in (None, [])}
    result = run_search(_index(), q=args["q"], filters=filters, sort=args["sort"], page=args["page"],
                        per_page=args["per_page"], lang=args["lang"])
    # The version of the index that answered; the X-Dataset-Version header and the ETag follow it
    # (no database query). Dumped by the compiled schema: the same JSON as the response schema's dump.
    g.dataset_version = result.dataset_version or sources.current_version()
    out = {name: getattr(result, name) for name in SEARCH_RESULT_FIELDS}
    out["dataset_version"] = g.dataset_version
    out.update(page_of(result.total, result.page, result.per_page))
    return current_app.json.response(_dump_search(out))
