"""/api/v1/studies: the studies behind the parameters, filtered and paged."""

from __future__ import annotations

from ..db.extension import db
from . import queries, sources
from .blueprint import VERSION_HEADERS, Blueprint
from .pages import page_of
from .problems import bad_request, not_found
from .schemas import StudyArgs, StudyListSchema, StudySchema

bp = Blueprint("Studies", __name__, description="Primary studies and their effect estimates")
FILTER_NAMES = ("intervention", "target_group", "outcome", "design", "evidence_level", "country",
                "year_from", "year_to")


@bp.route("/studies")
@bp.arguments(StudyArgs, location="query")
@bp.response(200, StudyListSchema, headers=VERSION_HEADERS)
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


@bp.route("/studies/<string:study_id>")
@bp.response(200, StudySchema, headers=VERSION_HEADERS)
@bp.not_found("study")
def get_study(study_id):
    """One study: citation, design, every effect estimate as reported and computed, and its parameters."""
    session = db.session()
    found = queries.study(session, study_id, sources.current().parameters) if len(study_id) <= 100 else None
    if found is None:
        raise not_found(f"There is no study '{study_id}'.", queries.suggest_study(session, study_id[:100]))
    return {"dataset_version": sources.current_version(), **found}
