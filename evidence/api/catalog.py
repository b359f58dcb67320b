"""/api/v1/studies, the vocabularies (/interventions, /target-groups, /outcomes, /comparisons) and /search.

Thin resources: arguments in, :mod:`evidence.services.studies`, ``.terms`` and ``.search`` (as the pages), JSON out.
"""

from __future__ import annotations

from flask import current_app, g

from ..constants import FIELD_OF_KIND
from ..db.extension import db
from ..records.schemas import SLUG
from ..search.reader import IndexHolder
from ..services import datasets
from ..services import search as search_service
from ..services import studies as study_service
from ..services import terms as term_service
from .blueprint import VERSION_HEADERS, Blueprint
from .common import page_of
from .dumping import compile_schema
from .problems import not_found, unknown_term
from .schemas import (
    SearchArgs,
    SearchResultSchema,
    StudyArgs,
    StudyListSchema,
    StudySchema,
    TermDetailSchema,
    TermListSchema,
)

studies_bp = Blueprint("Studies", __name__, description="Primary studies and their effect estimates")
FILTER_NAMES = ("intervention", "target_group", "outcome", "design", "evidence_level", "country",
                "year_from", "year_to")


@studies_bp.route("/studies")
@studies_bp.arguments(StudyArgs, location="query")
@studies_bp.response(200, StudyListSchema, headers=VERSION_HEADERS)
@studies_bp.not_found("vocabulary term")
def list_studies(args):
    """Studies, ordered by id. Vocabulary filters include the terms below (a group's sub-groups)."""
    filters = study_service.StudyFilters(**{k: args.get(k) for k in FILTER_NAMES})
    try:
        total, items = study_service.page(db.session(), datasets.vocabulary(), filters, args["page"], args["per_page"])
    except term_service.UnknownTerm as exc:
        name = FIELD_OF_KIND[exc.kind]
        raise unknown_term(f"Unknown {name.replace('_', ' ')} '{exc.slug}'.",
                           errors={name: [f"unknown value '{exc.slug}'"]}, suggestions=exc.suggestions) from None
    return {"dataset_version": datasets.current_version(), **page_of(total, args["page"], args["per_page"]),
            "items": items}


@studies_bp.route("/studies/<string:study_id>")
@studies_bp.response(200, StudySchema, headers=VERSION_HEADERS)
@studies_bp.not_found("study")
def get_study(study_id):
    """One study: citation, design, every effect estimate as reported and computed, and its parameters."""
    session = db.session()
    found = study_service.detail(session, study_id, datasets.current().parameters) if len(study_id) <= 100 else None
    if found is None:
        raise not_found(f"There is no study '{study_id}'.", study_service.close_ids(session, study_id[:100]))
    return {"dataset_version": datasets.current_version(), **found}


vocabularies_bp = Blueprint("Vocabularies", __name__,
                            description="Interventions, target groups, outcomes and comparisons: "
               "the slugs the other endpoints filter by, with Danish and English labels")


def _routes(segment: str, kind: str) -> None:
    noun = segment.rstrip("s").replace("-", " ")

    def list_view():
        terms = term_service.listing(db.session(), datasets.vocabulary(), kind, datasets.current().parameters)
        return {"dataset_version": datasets.current_version(), "total": len(terms), "items": terms}

    def detail_view(slug):
        vocab = datasets.vocabulary()
        if not SLUG.match(slug) or len(slug) > 100:
            raise not_found(f"There is no {noun} '{slug}'.", vocab.suggest(kind, slug.lower()[:100]))
        try:
            found = term_service.detail(db.session(), vocab, kind, slug, datasets.current().parameters)
        except term_service.UnknownTerm as exc:
            raise not_found(f"There is no {noun} '{slug}'.", exc.suggestions) from None
        return {"dataset_version": datasets.current_version(), **found}

    name = segment.replace("-", "_")
    list_view.__name__, detail_view.__name__ = f"list_{name}", f"get_{name}"
    list_view.__doc__ = f"Every {noun} in hierarchy order, with how many studies and parameters use it."
    detail_view.__doc__ = f"One {noun}: labels, place in the hierarchy, its studies (incl. below) and parameters."
    vocabularies_bp.route(f"/{segment}", endpoint=f"list_{name}")(
        vocabularies_bp.response(200, TermListSchema, headers=VERSION_HEADERS)(list_view))
    vocabularies_bp.route(f"/{segment}/<string:slug>", endpoint=f"get_{name}")(
        vocabularies_bp.not_found(noun)(
            vocabularies_bp.response(200, TermDetailSchema, headers=VERSION_HEADERS)(detail_view)))


for _kind in FIELD_OF_KIND:  # the URL segment is the vocabulary's name with hyphens: /target-groups
    _routes(_kind.replace("_", "-"), _kind)


search_bp = Blueprint("Search", __name__, description="Search studies: free text, facets, sorting")


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
    result = search_service.find(_index(), args["q"], args, args["sort"], args["page"], args["per_page"], args["lang"])
    # The version of the index that answered; the X-Dataset-Version header and the ETag follow it
    # (no database query). Dumped by the compiled schema: the same JSON as the response schema's dump.
    g.dataset_version = result.dataset_version or datasets.current_version()
    out = {name: getattr(result, name) for name in SEARCH_RESULT_FIELDS}
    out["dataset_version"] = g.dataset_version
    out.update(page_of(result.total, result.page, result.per_page))
    return current_app.json.response(_dump_search(out))
