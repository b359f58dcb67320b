"""Pooled results held encoded until they are read: a list of dicts at a small part of the memory.

A parameter's result is a nest of small dicts, lists, floats and strings
(its rows, study effects and sensitivity analyses): about 14.8 KB of Python
objects each (measured on the 20k synthetic corpus's parameters,
`benchmarks/poolprofile.py`). A full build holds every result from pooling
until the database has them; at 100k studies that was the largest part of
the build's peak.

Each result is kept as the JSON text its database column stores, compressed
(zlib level 1: about 1.2 KB a result, where pickled it was 2.9 KB), beside
its database row's other columns (:data:`ROW_COLUMNS`, pickled) and the few
fields the search index reads (:data:`SUMMARY_FIELDS`). The worker
processes that pool encode each result there, in parallel, so the build's
own process, which also writes the database, neither decodes the results
nor encodes them again: :meth:`PackedResults.rows` gives each row with its
result as JSON text (before, unpickling and encoding them again took about
6 s of the build's process at 20k).
"""

from __future__ import annotations

import json
import pickle
import zlib
from collections.abc import Iterable, Iterator, Sequence

#: What the search index reads of a parameter (its studies' strength), kept unpickled beside each result.
SUMMARY_FIELDS = ("id", "studies", "strength")
#: A parameter's database columns beside its whole ``result`` (the columns pages and the API filter and sort on).
ROW_COLUMNS = ("id", "intervention", "target_group", "outcome", "comparison", "followup", "measure", "method",
               "test", "k", "estimate", "se", "ci_low", "ci_high", "pval", "tau2", "i2", "n_participants",
               "evidence_level", "strength", "direction", "studies", "rollup")


def encode(result: dict) -> str:
    """A result as its database column holds it (what SQLAlchemy's JSON type writes: ``json.dumps``)."""
    return json.dumps(result)


def parameter_row(result: dict) -> dict:
    """A parameter's database row: :data:`ROW_COLUMNS` and the whole result."""
    return {**{c: result[c] for c in ROW_COLUMNS}, "result": result}


def pack(result: dict) -> tuple[bytes, bytes, tuple]:
    """A result encoded (compressed JSON), its row's columns (pickled) and its summary (:data:`SUMMARY_FIELDS`)."""
    return (zlib.compress(encode(result).encode(), 1),
            pickle.dumps(tuple(result[c] for c in ROW_COLUMNS), protocol=pickle.HIGHEST_PROTOCOL),
            tuple(result[f] for f in SUMMARY_FIELDS))


class PackedResults(Sequence):
    """A read-only sequence of result dicts, each held encoded (:func:`pack`); every read gives a fresh
    dict, as the database gives it back (JSON's types: lists for tuples, plain floats)."""

    def __init__(self, packed: Iterable[tuple[bytes, bytes, tuple]]):
        self._texts, self._columns, self._summaries = [], [], []
        for text, columns, summary in packed:
            self._texts.append(text)
            self._columns.append(columns)
            self._summaries.append(summary)

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [_decode(t) for t in self._texts[index]]
        return _decode(self._texts[index])

    def __iter__(self) -> Iterator[dict]:
        return (_decode(t) for t in self._texts)

    def rows(self, start: int, stop: int) -> list[dict]:
        """The database rows of results ``start:stop``, each ``result`` as JSON text (see :func:`encode`)."""
        return [{**dict(zip(ROW_COLUMNS, pickle.loads(c))), "result": zlib.decompress(t).decode()}
                for t, c in zip(self._texts[start:stop], self._columns[start:stop])]

    def summaries(self) -> list[dict]:
        """Each result's :data:`SUMMARY_FIELDS` as a dict, without decoding the results."""
        return [dict(zip(SUMMARY_FIELDS, s)) for s in self._summaries]

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None


def _decode(text: bytes) -> dict:
    return json.loads(zlib.decompress(text))
