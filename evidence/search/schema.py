"""The index schema: one document per study (:mod:`.documents` says what its text holds).

Searchable text, each in the analysis that fits it: ``da`` and ``en`` (stemmed in their language),
``words`` (everything, unstemmed: exact words, names, spelling suggestions), and the fielded ``title``,
``author``, ``country``, ``design``, ``intervention``, ``target``, ``outcome``, ``id``, ``year``.
``card`` holds what a result list needs, so a search never touches the database; ``facet_<facet>`` its
facet values (never parsed: the query's field names are :data:`FIELD_ALIASES`).
"""

from __future__ import annotations

import functools

from whoosh import fields

from . import analysis
from .facets import FACETS, field_name

#: User-facing field names (and their Danish aliases) -> index field.
FIELD_ALIASES = {
    "title": "title", "titel": "title",
    "author": "author", "authors": "author", "forfatter": "author", "forfattere": "author",
    "year": "year", "år": "year", "aar": "year",
    "country": "country", "land": "country",
    "design": "design",
    "intervention": "intervention", "indsats": "intervention",
    "target": "target", "target_group": "target", "målgruppe": "target", "maalgruppe": "target",
    "outcome": "outcome", "effektmål": "outcome", "effektmaal": "outcome", "udfald": "outcome",
    "id": "id",
}
#: Fields a user may name, as shown in messages (one name per index field, English and Danish).
FIELD_NAMES = ("title/titel", "author/forfatter", "year/år", "country/land", "design",
               "intervention/indsats", "target/målgruppe", "outcome/effektmål", "id")
#: Fields free text is searched in, with their weights.
DEFAULT_FIELDS = {"da": 1.0, "en": 1.0, "words": 0.6}


#: Text field -> the analyzer (:data:`.analysis.ANALYZERS`) its text goes through.
TEXT_ANALYSIS = {"da": "da", "en": "en", "words": "plain", "title": "plain", "author": "plain",
                 "country": "plain", "design": "plain", "intervention": "plain", "target": "plain",
                 "outcome": "plain"}


@functools.lru_cache(maxsize=1)
def make_schema() -> fields.Schema:
    """The schema the query parser reads (fields, their analyzers and types); one per process."""
    text = {name: fields.TEXT(analyzer=analysis.analyzer(a)) for name, a in TEXT_ANALYSIS.items()}
    return fields.Schema(id=fields.ID(stored=True, unique=True), year=fields.NUMERIC(int, bits=32, signed=False),
                         card=fields.STORED, **text, **{field_name(f): fields.ID() for f in FACETS})
