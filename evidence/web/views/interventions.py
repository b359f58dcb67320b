"""``/interventions`` and ``/interventions/<slug>``: what an intervention does, for whom, how sure."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ...db.extension import db
from ...services import results
from .. import catalog, sections

bp = Blueprint("interventions", __name__)


@bp.get("/interventions")
def index():
    return render_template("term_list.html", kind="interventions", items=catalog.tree("interventions"),
                           counts=catalog.study_counts("interventions"))


@bp.get("/interventions/<slug>")
def show(slug):
    term = catalog.term("interventions", slug)
    if term is None:
        abort(404, description="interventions")
    measure = request.args.get("measure", "")[:10] or None
    info = catalog.build_info()
    version, built = (info.dataset_version, info.built_at) if info else (None, None)
    cells = [sections.fill(s, version, built) for s in sections.sections(slug, measure)]
    _params, by_study = results.for_interventions(db.session(), catalog.descendants("interventions", slug))
    participants = sum(r.study.sample_size or 0 for r in by_study)
    anchors = {s.shown.id: s.anchor for s in cells}
    anchors.update({o.id: s.anchor for s in cells for o in s.others})
    return render_template("intervention.html", term=term, children=catalog.children("interventions", slug),
                           lineage=catalog.lineage("interventions", slug), sections=cells, results=by_study,
                           participants=participants, description=catalog.description(term),
                           dataset_version=version, measure=measure, anchors=anchors,
                           unpooled=sum(len(r.unpooled) for r in by_study))
