"""Facet columns: every document's facet values and sort keys as numpy arrays.

Written into the versioned index directory at build time (``columns/``) and
memory-mapped by the reader, so the workers of one server share the pages.
A search then filters with boolean masks, counts every facet disjunctively
with one ``numpy.bincount`` each and sorts with ``numpy.lexsort``, instead of
loading and testing the stored card of every matching study.

Arrays are indexed by document number, as the postings number documents
(:class:`~.store.IndexFiles`: the base part's, then the delta's); ``live`` is
False for the base documents a delta hides:

- ``<facet>.docs`` / ``<facet>.vals`` (int32): one pair per (document, value)
  for each facet in :data:`~evidence.search.facets.FACETS`, the values read
  with :func:`~evidence.search.facets.card_values` (so counts equal the cards');
  value ids index ``names[facet]`` in ``columns.json``
- ``year`` (int32, -1 when unknown), ``strength``, ``level`` (int32),
  ``effect`` (float64, NaN when unknown), ``ids`` (unicode), ``id_rank``
  (int32: the rank of the id, to break ties as the cards' sort did)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..outputs import save_array
from . import facets as facet_mod
from .store import load_array

DIRNAME = "columns"
VERSION = 1
_SCALARS = ("year", "strength", "level", "effect", "ids", "id_rank", "live")


class Columns:
    """The facet columns of one index version (arrays in memory or memory-mapped)."""

    def __init__(self, n: int, names: dict, pairs: dict, arrays: dict):
        self.n = n
        self.names = names  # facet -> list of value strings (index = value id)
        self.value_ids = {f: {v: i for i, v in enumerate(vs)} for f, vs in names.items()}
        self.pairs = pairs  # facet -> (docs, vals)
        for key in _SCALARS:
            setattr(self, key, arrays[key])
        self.names_array = {f: np.array(vs, dtype=object) for f, vs in names.items()}

    # ------------------------------------------------------------ building

    @classmethod
    def from_cards(cls, n: int, cards) -> Columns:
        """From the ``(docnum, card)`` pairs of an index with ``n`` documents."""
        names = {f: [] for f in facet_mod.FACETS}
        table = {f: {} for f in facet_mod.FACETS}
        pairs = {f: ([], []) for f in facet_mod.FACETS}
        year, strength, level = np.full(n, -1, dtype=np.int32), np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
        effect, ids, live = np.full(n, np.nan), [""] * n, np.zeros(n, dtype=bool)
        for docnum, card in cards:
            live[docnum], ids[docnum] = True, card["id"]
            year[docnum] = -1 if card.get("year") is None else card["year"]
            strength[docnum], level[docnum] = card.get("strength") or 0, card["evidence_level"]
            effect[docnum] = np.nan if card.get("effect_size") is None else card["effect_size"]
            for facet in facet_mod.FACETS:
                for v in sorted(set(facet_mod.card_values(card, facet))):
                    if v not in table[facet]:
                        table[facet][v] = len(names[facet])
                        names[facet].append(v)
                    pairs[facet][0].append(docnum)
                    pairs[facet][1].append(table[facet][v])
        ids = np.array(ids, dtype=f"<U{max([len(i) for i in ids] + [1])}")
        id_rank = np.empty(n, dtype=np.int32)
        id_rank[np.argsort(ids, kind="stable")] = np.arange(n, dtype=np.int32)
        arrays = {"year": year, "strength": strength, "level": level, "effect": effect, "ids": ids,
                  "id_rank": id_rank, "live": live}
        return cls(n, names, {f: (np.asarray(d, dtype=np.int32), np.asarray(v, dtype=np.int32))
                              for f, (d, v) in pairs.items()}, arrays)

    def updated(self, keep: np.ndarray, cards: list[dict], hidden=()) -> Columns:
        """These columns without the documents not in ``keep`` (renumbered in order), then ``cards``'
        documents, the documents ``hidden`` (new numbers) not live: what :meth:`from_cards` gives over
        the index an update writes (a value no study has any more keeps its id and counts nothing),
        without reading every card again."""
        renumber, base = np.cumsum(keep, dtype=np.int64) - 1, int(keep.sum())
        new = Columns.from_cards(len(cards), enumerate(cards))
        names, pairs = {}, {}
        for facet in facet_mod.FACETS:
            names[facet], table = list(self.names[facet]), dict(self.value_ids[facet])
            for v in new.names[facet]:
                table.setdefault(v, len(names[facet]))
                if table[v] == len(names[facet]):
                    names[facet].append(v)
            remap = np.array([table[v] for v in new.names[facet]], dtype=np.int32)
            (docs, vals), (new_docs, new_vals) = self.pairs[facet], new.pairs[facet]
            alive = keep[docs]
            new_vals = remap[new_vals] if len(new_vals) else new_vals
            pairs[facet] = (np.concatenate([renumber[docs[alive]], new_docs + base]).astype(np.int32),
                            np.concatenate([vals[alive], new_vals]).astype(np.int32))
        arrays = {key: np.concatenate([getattr(self, key)[keep], getattr(new, key)]) for key in _SCALARS}
        arrays["id_rank"] = np.empty(len(arrays["ids"]), dtype=np.int32)
        arrays["id_rank"][np.argsort(arrays["ids"], kind="stable")] = np.arange(len(arrays["ids"]), dtype=np.int32)
        arrays["live"][np.asarray(hidden, dtype=np.int64)] = False
        return Columns(len(arrays["ids"]), names, pairs, arrays)

    # ------------------------------------------------------------ files

    def save(self, index_dir) -> None:
        folder = Path(index_dir) / DIRNAME
        folder.mkdir()
        for facet, (docs, vals) in self.pairs.items():
            save_array(folder / f"{facet}.docs.npy", np.ascontiguousarray(docs, dtype=np.int32))
            save_array(folder / f"{facet}.vals.npy", np.ascontiguousarray(vals, dtype=np.int32))
        for key in _SCALARS:
            save_array(folder / f"{key}.npy", np.ascontiguousarray(getattr(self, key)))
        (folder / "columns.json").write_text(json.dumps({"version": VERSION, "n": self.n, "names": self.names},
                                                        ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, index_dir) -> Columns:
        """The saved columns of ``index_dir``, memory-mapped (ValueError: another format)."""
        folder = Path(index_dir) / DIRNAME
        meta = json.loads((folder / "columns.json").read_text(encoding="utf-8"))
        if meta.get("version") != VERSION:
            raise ValueError(f"facet columns format {meta.get('version')}, expected {VERSION}")
        pairs = {f: (load_array(folder / f"{f}.docs.npy"), load_array(folder / f"{f}.vals.npy"))
                 for f in facet_mod.FACETS}
        arrays = {k: load_array(folder / f"{k}.npy") for k in _SCALARS}
        if any(len(a) != meta["n"] for a in arrays.values()):
            raise ValueError(f"{folder}: the columns are not {meta['n']} long")
        return cls(meta["n"], meta["names"], pairs, arrays)

    # ------------------------------------------------------------ searching

    def mask(self, facet: str, wanted) -> np.ndarray:
        """Documents with any of the ``wanted`` values of ``facet``."""
        table = self.value_ids[facet]
        ids = [table[v] for v in wanted if v in table]
        out = np.zeros(self.n, dtype=bool)
        if ids:
            docs, vals = self.pairs[facet]
            out[docs[np.isin(vals, ids)]] = True
        return out

    def counts(self, facet: str, within: np.ndarray) -> dict[str, int]:
        """value -> number of documents in ``within`` that have it."""
        docs, vals = self.pairs[facet]
        if not len(docs):
            return {}
        counted = np.bincount(vals[within[docs]], minlength=len(self.names[facet]))
        nz = np.nonzero(counted)[0]
        return dict(zip(self.names_array[facet][nz].tolist(), counted[nz].tolist()))

    def year_mask(self, year_from, year_to) -> np.ndarray | None:
        if year_from is None and year_to is None:
            return None
        m = self.year >= 0
        if year_from is not None:
            m &= self.year >= year_from
        if year_to is not None:
            m &= self.year <= year_to
        return m

