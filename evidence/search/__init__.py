"""Full-text search over the studies, in an index the project owns (Whoosh parses and analyses): the index's
files, their writing, query parsing, matching and scoring, facet postings and spelling. The search service that
pages and the API call is :func:`evidence.services.search.search`; docs/search-and-pages.md describes the whole.
"""
