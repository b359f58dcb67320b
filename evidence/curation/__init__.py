"""The write side: researchers' submissions, curator accounts and the audit log.

It lives in its own store (``EVIDENCE_CURATION_DATABASE_URL``; by default
``<instance>/curation.db``), never in the read-side database that ``evidence build``
replaces. Only an approval writes ``data/``, exactly as ``evidence import csv`` would,
and then runs the incremental build.
"""
