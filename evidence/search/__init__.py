"""Full-text search over the studies, in an index the project owns (Whoosh parses and analyses).

:func:`.service.search` is the one entry point pages and the API call; docs/search-and-pages.md
describes the whole.
"""
