"""``/beregn/<parameter>``: the business case page (*Beregn*), and its XLSX download."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from ...export.business_xlsx import to_xlsx
from ...services import business_case as service
from ...services import datasets
from ...services.business_case_args import BusinessCaseArgs
from ...stats import business_case as model
from .. import business
from ..sections import svg_id

bp = Blueprint("business", __name__)
_ARGS = BusinessCaseArgs(unknown=EXCLUDE)  # the page has `lang` too


def _case(parameter_id: str):
    """(case or None, form values, errors per field): errors are shown on the page, not raised."""
    source = datasets.current()
    found = source.get(parameter_id[:300])
    if found is None:
        abort(404, description="parameters")
    if not service.is_binary(found):
        abort(404, description="parameters")
    raw = {k: v for k, v in request.args.items() if k in business.FIELDS and v != ""}
    prices = service.catalogue(current_app.config["EVIDENCE"].data_dir)
    if not request.args:  # first visit: the first catalogue price for the outcome, if any
        first = prices.for_outcome(found["outcome"])
        if first:
            raw["price"] = first[0].id
    form = {"participants": 100, "horizon": 5, "quantity": 1, "duration": 1, "fade": 0, "cost": 0,
            "cost_year": 1, "discount_rate": model.DEFAULT_DISCOUNT_RATE, "interval": "ci", "seed": model.DEFAULT_SEED,
            "baseline_risk": found["control_risk"], **raw}
    try:
        args = _ARGS.load({"parameter": parameter_id, **raw})
    except ValidationError as exc:
        return None, found, form, {k: " ".join(map(str, v)) for k, v in exc.messages.items()}, prices
    try:
        case = service.calculate(source, prices, service.Inputs(**args))
    except service.InputError as exc:
        return None, found, form, {exc.field: exc.message}, prices
    return case, found, form, {}, prices


def _kept() -> dict:
    """The query as the links repeat it: the form's fields and the language, nothing else."""
    return {k: v for k, v in request.args.items() if k in business.FIELDS or k == "lang"}


@bp.get("/beregn/<parameter_id>")
def show(parameter_id):
    case, found, form, errors, prices = _case(parameter_id)
    context = {"parameter": found, "form": form, "errors": errors, "prices": prices.for_outcome(found["outcome"]),
               "case": case, "unit_name": business.unit_name, "payer_title": business.payer_title}
    if case is not None:
        context.update(words=business.words(case),
                       chart=business.chart(case, svg_id(found["id"], "nc")),
                       table=business.table(case),
                       xlsx_url=url_for("business.workbook", parameter_id=found["id"], **_kept()))
    # a first visit is not bad input, even where the studies give no baseline risk to start from
    return render_template("business_case.html", **context), 400 if errors and request.args else 200


@bp.get("/beregn/<parameter_id>/business-case.xlsx")
def workbook(parameter_id):
    case, found, _form, errors, _prices = _case(parameter_id)
    if case is None:
        abort(400)
    page = url_for("business.show", parameter_id=found["id"], _external=True, **_kept())
    return Response(to_xlsx(case, page),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="business-case.xlsx"'})


@bp.get("/priser")
def prices():
    """The whole price catalogue with every source: what the business cases can value, and how sure."""
    catalogue = service.catalogue(current_app.config["EVIDENCE"].data_dir).prices()
    return render_template("prices.html", prices=catalogue, unit_name=business.unit_name,
                           payer_title=business.payer_title)
