"""/api/v1/parameters: default parameters, re-pooled on request, and their exports."""

from __future__ import annotations

import difflib

from flask import Response

from ..export.document import FORMATS, MEDIA_TYPES, document, render
from ..services import datasets
from ..services.parameters import FILTERS, Choice, Source, unknown_filters
from .blueprint import VERSION_HEADERS, Blueprint
from .parameter_schemas import ChoiceArgs, ParameterArgs, ParameterDetailSchema, ParametersDocumentSchema
from .problems import Problem, not_found, unknown_term

bp = Blueprint("Parameters", __name__, description="Pooled default parameters for calculators, "
               "with their uncertainty, studies and evidence rating")
FILE_DOC = {"json": "the export document (same as GET /parameters)",
            "csv": "one row per parameter, UTF-8 with BOM, comma-separated, lists joined with ';'",
            "xlsx": "a parameters sheet, a sheet explaining every column (da/en) and an about sheet"}


def _selected(args: dict) -> tuple[Source, Choice, dict, object]:
    """The source, pooling choice, filters and the vocabulary that rolls parent terms up."""
    source = datasets.for_version(args.get("version"))
    choice = Choice(args["method"], args["test"], args.get("baseline_risk"), args["rho"])
    filters = {name: args.get(name) for name in FILTERS if args.get(name) is not None}
    vocab = _vocabulary()
    unknown = unknown_filters(source, filters, vocab if source.release is None else None)
    if unknown:
        name, suggestions = next(iter(unknown.items()))
        raise unknown_term(f"Unknown {name.replace('_', ' ')} '{filters[name]}'.",
                           errors={n: [f"unknown value '{filters[n]}'"] for n in unknown}, suggestions=suggestions)
    return source, choice, filters, vocab


def _vocabulary():
    """The current build's vocabulary (also for a release: parent terms roll up as today's pages show them)."""
    try:
        return datasets.vocabulary()
    except Problem:  # nothing built: a release is still served, its filters exact
        return None


@bp.route("/parameters")
@bp.arguments(ParameterArgs, location="query")
@bp.response(200, ParametersDocumentSchema, headers=VERSION_HEADERS)
@bp.not_found("vocabulary term or release")
def list_parameters(args):
    """All parameters (or those matching the filters) as one export document.

    A parent term includes every term below it (`intervention=housing-first`
    gives its variants' parameters; `target_group=offenders` the sub-groups'
    and the roll-up over them). An unknown term is a 404 with `suggestions`.

    Stored values are REML with z-tests; any other `method`/`test`, or a
    `baseline_risk`, pools again from the stored per-study rows.
    """
    source, choice, filters, vocab = _selected(args)
    return document(source, choice, vocab, **filters)


def _export(fmt: str, args: dict) -> Response:
    source, choice, filters, vocab = _selected(args)
    rendered = render(document(source, choice, vocab, **filters), fmt)
    disposition = "inline" if fmt == "json" else "attachment"
    response = Response(rendered.body, content_type=rendered.media_type)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{rendered.filename}"'
    return response


def _file_route(fmt: str):
    media = MEDIA_TYPES[fmt].split(";")[0]
    schema = {"type": "string", "format": "binary"} if fmt == "xlsx" else (
        {"$ref": "#/components/schemas/ParametersDocument"} if fmt == "json" else {"type": "string"})

    @bp.arguments(ParameterArgs, location="query")
    @bp.not_found("vocabulary term or release")
    @bp.doc(responses={200: {"description": FILE_DOC[fmt], "headers": VERSION_HEADERS,
                             "content": {media: {"schema": schema}}}})
    def view(args):
        return _export(fmt, args)

    view.__name__ = view.__qualname__ = f"export_{fmt}"
    view.__doc__ = f"Export as {fmt.upper()}: {FILE_DOC[fmt]}.\n\nSame query parameters as GET /parameters."
    bp.route(f"/parameters.{fmt}", endpoint=f"export_{fmt}")(view)


for _fmt in FORMATS:
    _file_route(_fmt)


@bp.route("/parameters/<string:parameter_id>")
@bp.arguments(ChoiceArgs, location="query")
@bp.response(200, ParameterDetailSchema, headers=VERSION_HEADERS)
@bp.not_found("parameter")
def get_parameter(args, parameter_id):
    """One parameter, pooled as asked (`method`, `test`, `baseline_risk`, `rho`), from `version` if given."""
    source = datasets.for_version(args.get("version"))
    choice = Choice(args["method"], args["test"], args.get("baseline_risk"), args["rho"])
    found = source.get(parameter_id, choice)
    if found is None:
        ids = [p["id"] for p in source.parameters]
        raise not_found(f"There is no parameter '{parameter_id}'.",
                        difflib.get_close_matches(parameter_id, ids, n=3, cutoff=0.6))
    return {**found, "dataset_version": source.dataset_version, "generated_at": source.generated_at}
