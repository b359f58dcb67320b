"""``/studies/<id>``: citation (APA, BibTeX, RIS), design, and every effect with its provenance."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from ...db.extension import db
from ...db.models import Study
from ...services import results, studies
from .. import citations, studypage

bp = Blueprint("studies", __name__)


def _study(study_id: str) -> Study:
    study = studies.get(db.session(), study_id[:200])
    if study is None:
        abort(404, description="studies")
    return study


@bp.get("/studies/<study_id>")
def show(study_id):
    study = _study(study_id)
    pooled = results.for_study(db.session(), study)
    return render_template("study.html", study=study, record=study.record,
                           effects=studypage.effects(study, pooled),
                           apa=citations.apa(study.record), bibtex=citations.bibtex(study.record),
                           ris=citations.ris(study.record))


@bp.get("/studies/<study_id>.bib")
def bibtex(study_id):
    study = _study(study_id)
    return Response(citations.bibtex(study.record), mimetype="application/x-bibtex",
                    headers={"Content-Disposition": f'attachment; filename="{study.id}.bib"'})


@bp.get("/studies/<study_id>.ris")
def ris(study_id):
    study = _study(study_id)
    return Response(citations.ris(study.record), mimetype="application/x-research-info-systems",
                    headers={"Content-Disposition": f'attachment; filename="{study.id}.ris"'})
