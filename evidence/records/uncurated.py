"""Vocabulary terms still waiting for a curator (``needs_curation: true``).

``evidence import csv --add-terms`` adds unknown slugs with labels made from the slug; such
a term is valid but unfinished. ``evidence validate`` lists them as warnings and
``evidence validate --strict`` as problems, so a release can require that none is left.
"""

from __future__ import annotations

from pathlib import Path

from .validate import Problem, display_path
from .vocabulary import KINDS, Vocabulary
from .yamlio import YamlError, load


def uncurated_terms(data_dir: Path, vocabulary: Vocabulary) -> list[Problem]:
    """One located problem per term marked ``needs_curation``, file by file."""
    out = []
    for kind in KINDS:
        slugs = [slug for slug, term in vocabulary.terms[kind].items() if term.needs_curation]
        if not slugs:
            continue
        path = data_dir / "vocabularies" / f"{kind}.yaml"
        try:
            loaded = load(path)
        except (OSError, YamlError):  # already a validation problem of its own
            continue
        index = {raw.get("slug"): i for i, raw in enumerate(loaded.data or []) if isinstance(raw, dict)}
        for slug in slugs:
            where = f"{index.get(slug)}.needs_curation"
            out.append(Problem(display_path(path), where, f"term '{slug}' needs curation: a curator completes its"
                               " Danish and English labels (and parent and synonyms where they help), then removes"
                               " needs_curation", loaded.line_of(where)))
    return out
