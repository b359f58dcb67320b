"""/api/v1/releases: the immutable, citable snapshots a calculator can pin with ``?version=``."""

from __future__ import annotations

from flask import current_app, g
from marshmallow import Schema, fields

from ..export import release as releases
from ..services.datasets import current_version
from .blueprint import VERSION_HEADERS, Blueprint
from .problems import Problem

bp = Blueprint("Releases", __name__, description="Releases: immutable snapshots of the parameters, oldest first")


class ReleaseSchema(Schema):
    name = fields.String(required=True, metadata={"description": "pass it as `version=` to pin it"})
    dataset_version = fields.String(required=True)
    built_at = fields.String(required=True)
    released_at = fields.String(required=True)


class ReleaseListSchema(Schema):
    current_dataset_version = fields.String(required=True, allow_none=True,
                                            metadata={"description": "the build served without `version=`"})
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(ReleaseSchema), required=True)


@bp.route("/releases")
@bp.response(200, ReleaseListSchema, headers=VERSION_HEADERS)
def list_releases():
    """Every release, oldest first, with the dataset version it holds."""
    items = [r.summary() for r in releases.releases(current_app.config["EVIDENCE"].releases_dir)]
    g.etag_extra = ",".join(f"{r['name']}={r['dataset_version']}" for r in items)  # a new release, a new ETag
    try:
        current = current_version()
    except Problem:  # nothing built: the releases are still listed
        current = None
        g.dataset_version = items[-1]["dataset_version"] if items else "none"
    return {"current_dataset_version": current, "total": len(items), "items": items}
