"""Write the search index into a folder, whole or as the live one with changes.

The build writes a complete index into the folder of the version it publishes
(:func:`write_index`, before the database's commit; see :mod:`evidence.versions`);
an incremental build writes the live index with its changes (:func:`update_index`)
or, when nothing changed, links the live one's files (:func:`link_index`). The
index is the project's own columns (:mod:`.store`, written by :mod:`.writing`: postings straight from
the analysers, facet values among them, the stored cards and sort keys) and
``evidence-meta.json`` (dataset version, vocabulary, spellings), memory-mapped by
readers. Any failure removes the folder: nothing half-written is left.

**Incremental updates** (the contract with the incremental build)::

    update_index(live, aside, documents_to_upsert, ids_to_delete, dataset_version=...)

- ``documents_to_upsert``: index documents as :func:`~.documents.documents` makes
  them, or a prepared-like object (``terms``, ``studies``, ``effects``,
  ``parameters``) turned into documents; studies are matched by ``id`` (a study
  whose card changed for another reason — a parameter's strength — is upserted
  the same way); a new id is added;
- ``ids_to_delete``: study ids to remove (absent ids are ignored);
- ``dataset_version``: the new version (metadata, reported by searches and ETags).

The update writes a delta (see :mod:`.store`), folded into a new base when it would hold more than
:data:`DELTA_BOUND` documents (or :data:`DELTA_SHARE` of the base's); either way searches answer as after
a full build of the same studies. The vocabulary is not changed: a vocabulary change is a full build.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..outputs import save_array
from .documents import documents, iter_documents, spellings, vocabulary
from .schema import make_schema
from .store import DELTA, DIRNAME, HIDDEN, IndexFiles
from .writing import Writer

META_FILE = "evidence-meta.json"
#: A delta holds at most this many documents, or this share of the base's, before it is folded in.
DELTA_BOUND, DELTA_SHARE = 1000, 1 / 20


def write_index(aside: Path, prepared) -> None:
    """Write a complete index of ``prepared`` into the empty or new folder ``aside`` (removed on failure)."""
    aside = Path(aside)
    aside.mkdir(parents=True, exist_ok=True)
    with _discarded_on_failure(aside):
        writer = Writer(make_schema())
        # one document at a time: the writer keeps its tokens, the spellings their words, the texts go
        words = spellings(_added(writer, iter_documents(prepared)))
        writer.write(aside)
        del writer
        meta = {"dataset_version": prepared.dataset_version, "vocabulary": vocabulary(prepared.terms),
                "spellings": words}
        (aside / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _added(writer: Writer, docs):
    """``docs``, each added to ``writer`` as it passes."""
    for doc in docs:
        writer.add(doc)
        yield doc


def _writer(docs: list[dict]) -> Writer:
    writer = Writer(make_schema())
    for doc in docs:
        writer.add(doc)
    return writer


def update_index(live: Path, aside: Path, documents_to_upsert, ids_to_delete=(),
                 dataset_version: str | None = None) -> None:
    """Into the new folder ``aside``: the index at ``live`` with the upserts and deletions applied.

    See the module docstring for the arguments; ``aside`` is removed on failure.
    """
    live = Path(live)
    if isinstance(documents_to_upsert, (list, tuple)):
        docs = list(documents_to_upsert)
    else:
        docs = documents(documents_to_upsert)
        dataset_version = dataset_version or getattr(documents_to_upsert, "dataset_version", None)
    meta = json.loads((live / META_FILE).read_text(encoding="utf-8"))
    version = dataset_version or meta["dataset_version"]
    aside = Path(aside)
    aside.mkdir(parents=True, exist_ok=True)
    with _discarded_on_failure(aside):
        previous = IndexFiles(live)
        keep = np.ones(previous.size, dtype=bool)
        keep[previous.hidden] = False
        ids = previous.fields["id"]
        for gone in set(ids_to_delete) | {doc["id"] for doc in docs}:
            keep[ids.postings(gone.encode("utf-8"))[0]] = False
        sources = [(part, keep[start:start + part.doc_count]) for part, start in zip(previous.parts, previous.starts)]
        writer = _writer(docs)
        base = previous.parts[0].doc_count
        if int(keep[base:].sum()) + len(docs) > max(DELTA_BOUND, base * DELTA_SHARE):
            writer.write(aside, sources)
        else:
            shutil.copytree(live / DIRNAME, aside / DIRNAME, copy_function=os.link)
            writer.write(aside / DELTA, sources[1:])
            hidden = np.flatnonzero(~keep[:base])
            save_array(aside / DELTA / HIDDEN, hidden.astype(np.int32))
        words = spellings(docs, meta.get("spellings", {}))
        meta.update({"dataset_version": version, "spellings": words})
        (aside / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def link_index(live: Path, aside: Path) -> None:
    """Into the new folder ``aside``: the index at ``live`` unchanged (hard links; every file is read-only)."""
    with _discarded_on_failure(aside):
        shutil.copytree(live, aside, copy_function=os.link)


@contextmanager
def _discarded_on_failure(aside: Path):
    """Nothing half-written is left: any failure (an interrupt included) removes ``aside``."""
    try:
        yield
    except BaseException:
        discard(aside)
        raise


def discard(path: Path) -> None:
    """Remove an index directory that is not (or no longer) live."""
    shutil.rmtree(path, ignore_errors=True)

