"""A curator completes a term already in the vocabulary that is marked ``needs_curation``.

Only that term's block of its vocabulary file changes (every other line stays as it is, so
the diff is the term alone); the file is written atomically, and only when the whole file,
read back, is the same list with just that term replaced and every term still valid.
"""

from __future__ import annotations

import copy
import re

import yaml
from marshmallow import ValidationError

from evidence.records.schemas import OutcomeTermSchema, TermSchema
from evidence.records.validate import Corpus, load_vocabulary
from evidence.records.write import dump_terms, write_files

from ..config import Settings
from . import terms as term_form


class EditError(ValueError):
    pass


def uncurated(settings: Settings) -> list[dict]:
    """Every term marked needs_curation, as written in its file, with its kind."""
    out = []
    for kind in ("interventions", "target_groups", "outcomes", "comparisons"):
        path = settings.vocabularies_dir / f"{kind}.yaml"
        for term in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(term, dict) and term.get("needs_curation"):
                out.append({"kind": kind, **term})
    return out


def _block(text: str, slug: str) -> tuple[int, int]:
    """Start and end (character offsets) of the term's ``- slug: …`` block in a vocabulary file."""
    starts = [m.start() for m in re.finditer(r"^- ", text, flags=re.M)] + [len(text)]
    for begin, end in zip(starts, starts[1:]):
        if re.match(rf"- slug: ['\"]?{re.escape(slug)}['\"]?\s*$", text[begin:text.find("\n", begin) + 1 or end]):
            return begin, end
    raise EditError(f"'{slug}' is not in the file as a block of its own")


def curate(settings: Settings, kind: str, slug: str, form) -> tuple[str, str]:
    """Write the curated term; returns (file inside data/, its diff summary). Raises EditError."""
    path = settings.vocabularies_dir / f"{kind}.yaml"
    if kind not in ("interventions", "target_groups", "outcomes", "comparisons") or not path.is_file():
        raise EditError("no such vocabulary")
    old_text = path.read_text(encoding="utf-8")
    old_terms = yaml.safe_load(old_text) or []
    index = next((i for i, t in enumerate(old_terms) if isinstance(t, dict) and t.get("slug") == slug), None)
    if index is None or not old_terms[index].get("needs_curation"):
        raise EditError(f"'{slug}' is not a term under review in {kind}")
    edits, problems = term_form.parse(settings, form, [{"kind": kind, "slug": slug}])
    if problems or (kind, slug) not in edits:
        raise EditError("; ".join(problems) or "give both the Danish and the English label")
    edit = edits[kind, slug]
    corpus = Corpus()
    load_vocabulary(settings.vocabularies_dir, corpus)
    if edit.get("parent") in corpus.vocabulary.descendants(kind, slug):
        raise EditError(f"{slug}: '{edit['parent']}' is the term itself or below it: the hierarchy would have a cycle")
    term = {k: v for k, v in old_terms[index].items() if k not in ("label", "parent", "synonyms", "needs_curation")}
    term.update(edit)
    try:
        (OutcomeTermSchema() if kind == "outcomes" else TermSchema()).load(copy.deepcopy(term))
    except ValidationError as exc:
        raise EditError(f"{slug}: {exc.messages}") from None
    begin, end = _block(old_text, slug)
    new_text = old_text[:begin] + dump_terms([term]) + old_text[end:]
    expected = [*old_terms[:index], term, *old_terms[index + 1:]]
    if yaml.safe_load(new_text) != expected:
        raise EditError(f"{path.name} is not laid out one term per block; edit it by hand")
    write_files({path: new_text})
    return f"vocabularies/{kind}.yaml", f"{slug}: labels {edit['label']['da']!r} / {edit['label']['en']!r}" + (
        f", parent {edit['parent']}" if edit.get("parent") else "")
