"""The WSGI entry point for production servers: ``gunicorn -c deploy/gunicorn.conf.py deploy.wsgi:app``.

Settings come from the ``EVIDENCE_*`` environment variables (see the README and
docs/production.md): ``EVIDENCE_DATABASE_URL`` names the PostgreSQL database
and ``EVIDENCE_INDEX_DIR`` (or ``EVIDENCE_INSTANCE_DIR``) the search index that
``evidence build`` made for this release. The app only reads both.
"""

from evidence.app import create_app

app = create_app()
