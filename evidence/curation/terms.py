"""A curator's edits of the terms a submission would add: Danish and English labels, parent, synonyms."""

from __future__ import annotations

import copy
import re

from marshmallow import ValidationError

from evidence.records.schemas import TermSchema
from evidence.records.validate import Corpus, load_vocabulary

from ..config import Settings

MAX_TEXT = 200


def field_name(kind: str, slug: str, part: str) -> str:
    return f"term-{kind}-{slug}-{part}"


def _words(text: str) -> list[str]:
    return [w.strip()[:MAX_TEXT] for w in re.split(r"[,;\n]", text or "") if w.strip()][:50]


def parse(settings: Settings, form, proposed: list[dict]) -> tuple[dict, list[str]]:
    """(kind, slug) -> the curated term, for each proposed term the form gives labels for; and problems.

    A term a curator has given labels is curated (no ``needs_curation``); a parent must be a term
    of the same kind already in the vocabulary.
    """
    corpus = Corpus()
    load_vocabulary(settings.vocabularies_dir, corpus)
    edits, problems = {}, []
    for term in proposed:
        kind, slug = term["kind"], term["slug"]
        da = (form.get(field_name(kind, slug, "da")) or "").strip()[:MAX_TEXT]
        en = (form.get(field_name(kind, slug, "en")) or "").strip()[:MAX_TEXT]
        if not da and not en:
            continue  # not edited: added as the import adds it, marked needs_curation
        parent = (form.get(field_name(kind, slug, "parent")) or "").strip() or None
        edit = {"label": {"da": da, "en": en}}
        if parent:
            if (kind, parent) not in corpus.vocabulary:
                problems.append(f"{slug}: parent '{parent}' is not a term in {kind}")
                continue
            edit["parent"] = parent
        synonyms = {lang: _words(form.get(field_name(kind, slug, f"synonyms-{lang}")) or "") for lang in ("da", "en")}
        if any(synonyms.values()):
            edit["synonyms"] = {k: v for k, v in synonyms.items() if v}
        try:
            TermSchema().load(copy.deepcopy({"slug": slug, **edit}))
        except ValidationError as exc:
            problems.append(f"{slug}: {exc.messages}")
            continue
        if not da or not en:
            problems.append(f"{slug}: give both the Danish and the English label")
            continue
        edits[kind, slug] = edit
    return edits, problems
