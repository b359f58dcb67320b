"""Enrich an existing study record with what an import file knows about the same study.

Empty fields are filled; equal values are left alone; a value that differs is a
conflict: reported, and left as it was unless ``--force`` (then replaced, and the
record's history says so). An unchanged record is never rewritten.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from evidence.records.slugs import unique

from .citation import authors_compatible, normalize_doi, normalize_title

CITATION_FIELDS = ("title", "year", "journal", "volume", "issue", "pages", "publisher", "doi", "url",
                   "abstract", "bibkey", "label")
EFFECT_FIELDS = ("intervention", "comparison", "target_group", "outcome", "outcome_detail", "followup_months",
                 "sample", "form", "measure", "data")
_DEFAULTS = {"sample": "main", "publication_type": "other", "et_al": False}


@dataclass
class Conflict:
    field: str  # "citation.title", "effects.recidivism.data"
    old: object
    new: object

    def describe(self, forced: bool) -> str:
        verb = "replaced" if forced else "kept"
        return (f"{self.field}: the record has {_show(self.old)}, the import file {_show(self.new)}"
                f" ({verb} {'with the import' if forced else 'the record'})")


@dataclass
class Enrichment:
    record: dict
    changed: list[str] = field(default_factory=list)  # record field paths that changed
    conflicts: list[Conflict] = field(default_factory=list)
    effect_of_draft: dict[int, int] = field(default_factory=dict)  # draft effect index -> record effect index


def _show(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None) + "}"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return repr(value) if isinstance(value, str) else str(value)


def _same(name: str, old, new) -> bool:
    if name == "doi":
        return normalize_doi(old) == normalize_doi(new)
    if name == "title":
        return normalize_title(old) == normalize_title(new)
    if isinstance(old, str) and isinstance(new, str):
        return " ".join(old.split()) == " ".join(new.split())
    if isinstance(old, dict) and isinstance(new, dict):
        keys = old.keys() | new.keys()
        return all(_same(k, old.get(k), new.get(k)) for k in keys)
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        return float(old) == float(new)
    return old == new


def _richer(a: list[str], b: list[str]) -> bool:
    return (len(b), sum(map(len, b))) > (len(a), sum(map(len, a)))


class _Merger:
    def __init__(self, record: dict, force: bool):
        self.record = copy.deepcopy(record)
        self.force = force
        self.result = Enrichment(self.record)

    def put(self, container: dict, key: str, value, path: str) -> None:
        old = container.get(key, _DEFAULTS.get(key))
        if value is None or value == "" or _same(key, old, value):
            return
        if old is None or old == "" or old == [] or old == {} or (key == "publication_type" and old == "other"):
            container[key] = value
            self.result.changed.append(path)
        elif key == "publication_type" and value == "other":
            return
        else:
            self.result.conflicts.append(Conflict(path, old, value))
            if self.force:
                container[key] = value
                self.result.changed.append(path)

    def citation(self, new: dict) -> None:
        cit = self.record.setdefault("citation", {})
        old_authors, new_authors = cit.get("authors") or [], new.get("authors") or []
        old_et_al, new_et_al = bool(cit.get("et_al")), bool(new.get("et_al"))
        if new_authors and (old_authors, old_et_al) != (new_authors, new_et_al):
            replace = not old_authors or (authors_compatible(old_authors, old_et_al, new_authors, new_et_al)
                                          and _richer(old_authors, new_authors))
            if not replace and (not authors_compatible(old_authors, old_et_al, new_authors, new_et_al)
                                or (old_authors == new_authors and old_et_al != new_et_al)):
                self.result.conflicts.append(Conflict("citation.authors", old_authors + ["et al"] * old_et_al,
                                                      new_authors + ["et al"] * new_et_al))
                replace = self.force
            if replace:
                cit["authors"] = new_authors
                cit["et_al"] = new_et_al
                if not new_et_al:
                    cit.pop("et_al")
                self.result.changed.append("citation.authors")
        for name in CITATION_FIELDS + ("publication_type",):
            if name == "label" and cit.get("authors"):
                continue
            self.put(cit, name, new.get(name), f"citation.{name}")

    def design(self, new: dict) -> None:
        design = self.record.setdefault("design", {})
        for name in ("type", "country"):
            self.put(design, name, new.get(name), f"design.{name}")

    def descriptors(self, new: dict) -> None:
        prov = self.record.setdefault("provenance", {})
        descriptors = prov.get("descriptors") or {}
        for key, value in new.items():
            self.put(descriptors, key, value, f"provenance.descriptors.{key}")
        if descriptors:
            prov["descriptors"] = descriptors

    def effects(self, new_effects: list[dict], note: str | None) -> None:
        effects = self.record.setdefault("effects", [])
        ids = {e.get("id") for e in effects}
        for j, new in enumerate(new_effects):
            i = next((i for i, e in enumerate(effects) if e.get("id") == new["id"]), None)
            if i is None:
                effect = copy.deepcopy(new)
                effect["id"] = unique(new["id"], ids)
                ids.add(effect["id"])
                if note:
                    effect["notes"] = note
                effects.append(effect)
                self.result.changed.append(f"effects.{effect['id']}")
                self.result.effect_of_draft[j] = len(effects) - 1
                continue
            self.result.effect_of_draft[j] = i
            for name in EFFECT_FIELDS:
                self.put(effects[i], name, new.get(name), f"effects.{new['id']}.{name}")


def enrich(record: dict, draft: dict, *, force: bool, history: dict, same_source: bool) -> Enrichment:
    """``record`` (as in its file) enriched with ``draft``; the history grows only if something changed."""
    merger = _Merger(record, force)
    merger.citation(draft.get("citation") or {})
    if "design" in draft:
        merger.design(draft["design"])
    if same_source:
        merger.descriptors((draft.get("provenance") or {}).get("descriptors") or {})
    if "effects" in draft:
        prov = draft.get("provenance") or {}
        note = None if same_source else f"From {prov.get('source')}"
        merger.effects(draft["effects"], note)
    result = merger.result
    if result.changed:
        what = ", ".join(dict.fromkeys(result.changed))
        entry = dict(history)
        entry["change"] = f"{history['change']}: {what}"
        merger.record.setdefault("provenance", {}).setdefault("history", []).append(entry)
    return result
