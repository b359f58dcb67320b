"""Full-text search over the studies: a Whoosh index built by ``evidence build``.

- :mod:`.analysis` — Danish and English analyzers with æ/ø/å folding
- :mod:`.schema` — the index schema (one document per study)
- :mod:`.documents` — documents and the facet vocabulary from a prepared build
- :mod:`.indexer` — build an index aside and swap it in atomically
- :mod:`.reader` — one read-only index per process, reopened after a rebuild
- :mod:`.querying` — forgiving query parsing with messages and an interpretation
- :mod:`.facets` — filters and facet counts
- :mod:`.service` — ``search()``, the one entry point pages and the API call
"""
