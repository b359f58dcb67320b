"""``/target-groups/<slug>``, ``/outcomes/<slug>`` and the evidence-and-gap map ``/map``."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ...db.extension import db
from ...db.models import Parameter
from ...services import overview, results
from .. import catalog, gapmap, overviewpage
from ..i18n import current_lang

bp = Blueprint("browse", __name__)


def _headline(params: list[Parameter]) -> list[Parameter]:
    """Per intervention × outcome × target group, the parameter with the most studies in the default measure."""
    best: dict[tuple, Parameter] = {}
    for p in params:
        outcome = catalog.term("outcomes", p.outcome)
        key = (p.intervention, p.outcome, p.target_group)
        rank = (p.measure == (outcome.default_measure if outcome else None), p.k, p.strength)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, p)
    return sorted((p for _, p in best.values()), key=lambda p: (-p.strength, -p.k, p.id))


def _term_page(url_kind: str, slug: str):
    kind = url_kind.replace("-", "_")  # the vocabulary's name: /target-groups lists target_groups
    term = catalog.term(kind, slug)
    if term is None:
        abort(404, description=kind)
    slugs = catalog.descendants(kind, slug)
    extra = {}
    if kind == "target_groups":
        sort = request.args.get("sort", "strength")
        sort = sort if sort in overview.SORTS else "strength"
        extra = {"lines": overviewpage.lines(slug, sort), "sort": sort,
                 "group_counts": overview.study_counts(db.session())}
        params = []
    else:
        params = results.parameters_of(db.session(), kind, slugs)
    return render_template("term.html", kind=kind, url_kind=url_kind, term=term,
                           description=catalog.description(term), lineage=catalog.lineage(kind, slug),
                           children=catalog.children(kind, slug), parameters=_headline(params),
                           studies=catalog.studies_with(kind, slugs), **extra)


@bp.get("/target-groups/<slug>")
def target_group(slug):
    return _term_page("target-groups", slug)


@bp.get("/outcomes/<slug>")
def outcome(slug):
    return _term_page("outcomes", slug)


@bp.get("/target-groups")
def target_groups():
    return render_template("term_list.html", kind="target_groups", items=catalog.tree("target_groups"),
                           counts=catalog.study_counts("target_groups"))


@bp.get("/outcomes")
def outcomes():
    return render_template("term_list.html", kind="outcomes", items=catalog.tree("outcomes"),
                           counts=catalog.study_counts("outcomes"))


@bp.get("/map")
def gap_map():
    """Narrowed by ``target_group`` or, without one, by ``area`` (a root of the target groups)."""
    wanted = request.args.get("target_group", "")[:100] or None
    wanted_area = request.args.get("area", "")[:100] or None
    target_group = wanted if catalog.term("target_groups", wanted) else None
    area_term = catalog.term("target_groups", wanted_area)
    area = wanted_area if area_term is not None and area_term.parent is None else None
    if target_group is not None:
        area = catalog.lineage("target_groups", target_group)[0].slug
    unknown = [w for w, found in ((wanted, target_group), (wanted_area, area)) if w and not found]
    areas = overview.areas(db.session(), current_lang())
    groups = next((a.groups for a in areas if a.term.slug == area), []) if area else catalog.tree("target_groups")
    return render_template("map.html", map=gapmap.gap_map(target_group or area), target_group=target_group,
                           area=area, areas=areas, unknown_group=unknown[0] if unknown else None, groups=groups)
