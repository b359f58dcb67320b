"""The server-rendered pages: search, interventions, studies, browsing, the gap map.

Views are thin (``views/``); what they show is computed in plain modules
(``pages.py``, ``wording.py``, ``forest.py``, ``citations.py``,
``calculator.py``, ``gapmap.py``) and searched through
:func:`evidence.search.service.search`.
"""

from __future__ import annotations


def init_app(app) -> None:
    from . import caching, errors, formatting, i18n, security, writeside
    from .views import browse, business, interventions, search, studies

    caching.init_app(app)  # first: its after-request hook then runs last, when the cookie is set
    i18n.init_app(app)
    security.init_app(app)
    formatting.init_app(app)
    for module in (search, interventions, studies, browse, business):
        app.register_blueprint(module.bp)
    writeside.init_app(app)  # /contribute and /curate, unless EVIDENCE_WRITE_SIDE=off
    errors.init_app(app)
