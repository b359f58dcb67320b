"""Page numbers and the links between pages, for any list resource."""

from __future__ import annotations

import math

from flask import request, url_for


def page_of(total: int, page: int, per_page: int) -> dict:
    """``total``/``page``/``per_page``/``pages`` and ``links`` (self, first, last, prev, next)."""
    pages = max(1, math.ceil(total / per_page))
    args = request.args.to_dict(flat=False)

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        return url_for(request.endpoint, **(request.view_args or {}), **{**args, "page": number, "per_page": per_page})

    return {"total": total, "page": page, "per_page": per_page, "pages": pages,
            "links": {"self": link(page), "first": link(1), "last": link(pages),
                      "prev": link(page - 1) if 1 < page <= pages + 1 else None,
                      "next": link(page + 1) if page < pages else None}}
