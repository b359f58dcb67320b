"""/api/v1/interventions, /target-groups, /outcomes, /comparisons: the vocabularies."""

from __future__ import annotations

from ..db.extension import db
from ..records.schemas import SLUG
from . import queries, sources
from .blueprint import VERSION_HEADERS, Blueprint
from .problems import not_found
from .schemas import TermDetailSchema, TermListSchema

bp = Blueprint("Vocabularies", __name__, description="Interventions, target groups, outcomes and comparisons: "
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
    bp.route(f"/{segment}", endpoint=f"list_{name}")(
        bp.response(200, TermListSchema, headers=VERSION_HEADERS)(list_view))
    bp.route(f"/{segment}/<string:slug>", endpoint=f"get_{name}")(
        bp.not_found(noun)(bp.response(200, TermDetailSchema, headers=VERSION_HEADERS)(detail_view)))


for _segment, _kind in queries.KINDS.items():
    _routes(_segment, _kind)
