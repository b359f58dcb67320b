"""Pooled results held as pickled bytes until they are read: a list of dicts at about a fifth of the memory.

A parameter's result is a nest of small dicts, lists, floats and strings
(its rows, study effects and sensitivity analyses): about 14.8 KB of Python
objects each, 2.9 KB pickled (measured on the 20k synthetic corpus's
parameters, `benchmarks/poolprofile.py`). A full build holds every result
from pooling until the database has them; at 100k studies that was the
largest part of the build's peak. The worker processes pickle each result
anyway to send it back, so keeping the bytes costs nothing extra there;
each result is unpickled once, when it is read (a chunk of database rows at
a time).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Sequence

#: What the search index reads of a parameter (its studies' strength), kept unpickled beside each result.
SUMMARY_FIELDS = ("id", "studies", "strength")


def pack(result: dict) -> tuple[bytes, tuple]:
    """A result pickled, with its summary (:data:`SUMMARY_FIELDS`)."""
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), tuple(result[f] for f in SUMMARY_FIELDS)


class PackedResults(Sequence):
    """A read-only sequence of result dicts, each stored pickled; every read gives a fresh dict.

    ``packed``: what :func:`pack` gives for each result, in order.
    """

    def __init__(self, packed: Iterable[tuple[bytes, tuple]]):
        pairs = list(packed)
        self._packed = [b for b, _ in pairs]
        self._summaries = [s for _, s in pairs]

    def __len__(self) -> int:
        return len(self._packed)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [pickle.loads(b) for b in self._packed[index]]
        return pickle.loads(self._packed[index])

    def __iter__(self) -> Iterator[dict]:
        return (pickle.loads(b) for b in self._packed)

    def summaries(self) -> list[dict]:
        """Each result's :data:`SUMMARY_FIELDS` as a dict, without unpickling the results."""
        return [dict(zip(SUMMARY_FIELDS, s)) for s in self._summaries]

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None
