"""The server-rendered pages: search, interventions, studies, browsing, the gap map.

Views are thin (``views/``): they read arguments, ask the services the API
asks too (``evidence.services``: ``terms`` and ``studies``, ``search``,
``overview`` for areas and a target group's ranked list, ``results`` for which
estimates are pooled; ``catalog`` keeps a request's answers in ``g``) and
render; no module here queries the database. What they show is worded in plain
modules (``sections.py``, ``overviewpage.py``, ``reported.py``, ``wording.py``,
``forest.py``, ``citations.py``, ``calculator.py``, ``gapmap.py``).
"""

from __future__ import annotations


def init_app(app) -> None:
    from . import caching, errors, i18n, security, templating, writeside
    from .views import browse, business, interventions, search, studies

    caching.init_app(app)  # first: its after-request hook then runs last, when the cookie is set
    i18n.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    for module in (search, interventions, studies, browse, business):
        app.register_blueprint(module.bp)
    writeside.init_app(app)  # /contribute and /curate, unless EVIDENCE_WRITE_SIDE=off
    errors.init_app(app)
