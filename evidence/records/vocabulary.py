"""Curated vocabularies: interventions, target groups, outcomes, comparisons.

Each kind lives in ``data/vocabularies/<kind>.yaml`` as a list of terms. Terms
form a hierarchy through ``parent`` (offenders › juvenile offenders), which
pooling and faceted search both walk.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..constants import FIELD_OF_KIND as FIELD_OF_KIND  # re-exported: validation and importers read it here

KINDS = tuple(FIELD_OF_KIND)

#: SØM's five areas, in SØM's order: the root target groups every target group sits under. The slugs are a
#: contract with the pages (``/map``) and with ``areas:`` on interventions and outcomes.
AREAS = ("vulnerable-children-and-youth", "vulnerable-adults", "disability", "unemployed-and-sick-listed",
         "older-people")


@dataclass(frozen=True)
class Term:
    kind: str
    slug: str
    label_da: str
    label_en: str
    parent: str | None = None
    synonyms_da: tuple[str, ...] = ()
    synonyms_en: tuple[str, ...] = ()
    description_da: str | None = None
    description_en: str | None = None
    outcome_type: str | None = None  # outcomes only: binary | continuous
    desirable: str | None = None  # outcomes only: higher | lower
    default_measure: str | None = None  # outcomes only
    needs_curation: bool = False
    areas: tuple[str, ...] = ()  # SØM areas: root target-group slugs (interventions and outcomes)

    def label(self, lang: str = "da") -> str:
        return self.label_en if lang == "en" else self.label_da


@dataclass
class Vocabulary:
    """All terms of all kinds, with lookups used by validation and pooling."""

    terms: dict[str, dict[str, Term]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def add(self, term: Term) -> None:
        self.terms[term.kind][term.slug] = term

    def get(self, kind: str, slug: str) -> Term | None:
        return self.terms[kind].get(slug)

    def __contains__(self, key: tuple[str, str]) -> bool:
        kind, slug = key
        return slug in self.terms[kind]

    def suggest(self, kind: str, slug: str, n: int = 3) -> list[str]:
        """Close slugs (and slugs whose labels are close), best first."""
        slugs = list(self.terms[kind])
        hits = difflib.get_close_matches(slug, slugs, n=n, cutoff=0.5)
        if len(hits) < n:
            by_label = {t.label_en.lower(): t.slug for t in self.terms[kind].values()}
            by_label.update({t.label_da.lower(): t.slug for t in self.terms[kind].values()})
            for label in difflib.get_close_matches(
                slug.replace("-", " ").lower(), list(by_label), n=n, cutoff=0.5
            ):
                if by_label[label] not in hits:
                    hits.append(by_label[label])
        return hits[:n]

    def ancestors(self, kind: str, slug: str) -> list[str]:
        """Parents of ``slug``, nearest first (cycles are a validation error)."""
        out: list[str] = []
        term = self.get(kind, slug)
        while term is not None and term.parent and term.parent not in out and term.parent != slug:
            out.append(term.parent)
            term = self.get(kind, term.parent)
        return out

    def descendants(self, kind: str, slug: str) -> set[str]:
        """``slug`` and every term below it."""
        found = {slug}
        changed = True
        while changed:
            changed = False
            for term in self.terms[kind].values():
                if term.parent in found and term.slug not in found:
                    found.add(term.slug)
                    changed = True
        return found

    def area_of(self, slug: str) -> str | None:
        """The SØM area (root target group) a target group sits under, or None if unknown."""
        if slug not in self.terms["target_groups"]:
            return None
        lineage = [slug, *self.ancestors("target_groups", slug)]
        return lineage[-1]

    def counts(self) -> dict[str, int]:
        return {kind: len(terms) for kind, terms in self.terms.items()}
