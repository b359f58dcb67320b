"""Full-text search over the studies, in an index the project owns (Whoosh parses and analyses).

- :mod:`.analysis` — Danish and English analyzers with æ/ø/å folding
- :mod:`.schema` — the fields the query parser knows (one document per study)
- :mod:`.documents` — documents and the facet vocabulary from a prepared build
- :mod:`.store` — the index's files: postings columns and cards (a base and a delta), memory-mapped
- :mod:`.writing` — writing a part of the index's files
- :mod:`.indexer` — write an index, whole or as the live one with changes
- :mod:`.reader` — one read-only index per process, reopened after a rebuild
- :mod:`.querying` — forgiving query parsing with messages and an interpretation
- :mod:`.engine`, :mod:`.matches` — matching and BM25F scoring of parsed queries
- :mod:`.facets` — filters and facet counts
- :mod:`.spelling` — suggestions for words that match nothing
- :mod:`.service` — ``search()``, the one entry point pages and the API call
"""
