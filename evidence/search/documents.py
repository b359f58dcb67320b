"""Index documents and the facet vocabulary, from a prepared build.

One document per study. Its text carries the labels, synonyms and descriptions of every
intervention, target group (with its ancestors, so "kriminelle" finds the juvenile-offender studies),
outcome and comparison of its effects, in Danish and English: synonyms are expanded at index time, so
a query needs no thesaurus. Vocabulary facet values include every ancestor (a study of IPS counts
under supported employment too); ``own`` keeps the terms the study itself names. The card's
``effect_size`` is the study's largest effect in the desirable direction as a standardised mean
difference (:func:`~evidence.services.effects.standardised`; None when none converts), its
``strength`` the highest padlock rating of the pooled parameters the study is in (0 when none).
"""

from __future__ import annotations

import re

from ..constants import FIELD_OF_KIND
from ..services.effects import standardised
from .analysis import fold
from .facets import FACETS, card_values, field_name

#: Design words to index, so "randomised" or "randomiseret" find the trials.
DESIGN_WORDS = {
    "rct": "RCT randomised randomized controlled trial randomiseret kontrolleret forsøg lodtrækningsforsøg",
    "cluster-rct": "cluster RCT randomised randomized trial klyngerandomiseret forsøg",
    "quasi-experimental": "quasi-experimental kvasieksperimentelt matched comparison",
    "controlled-before-after": "controlled before-after før-efter kontrolgruppe",
    "controlled-study": "controlled study kontrolleret studie",
    "uncontrolled-before-after": "before-after uncontrolled før-efter uden kontrolgruppe",
    "systematic-review": "systematic review meta-analysis systematisk review metaanalyse",
}


def vocabulary(terms: list[dict]) -> dict:
    """{kind: {slug: {label_da, label_en, parent, path, depth}}} for facets and labels."""
    out: dict[str, dict] = {k: {} for k in FIELD_OF_KIND.values()}
    for t in terms:
        out[FIELD_OF_KIND[t["kind"]]][t["slug"]] = {
            "label_da": t["label_da"], "label_en": t["label_en"], "parent": t["parent"],
            "path": t["path"], "depth": t["depth"], "desirable": t.get("desirable")}
    return out


def documents(prepared) -> list[dict]:
    """The index documents of every study in ``prepared``."""
    return list(iter_documents(prepared))


def iter_documents(prepared):
    """The index documents of every study in ``prepared``, one at a time (a full build's whole list of
    texts is larger than the postings made from it)."""
    terms = {(FIELD_OF_KIND[t["kind"]], t["slug"]): t for t in prepared.terms}
    ancestors = {key: t["path"].split("/") for key, t in terms.items()}
    effects_of: dict[str, list[dict]] = {}
    for e in prepared.effects:
        effects_of.setdefault(e["study_id"], []).append(e)
    strength: dict[str, int] = {}
    parameters = prepared.parameters
    for p in parameters.summaries() if hasattr(parameters, "summaries") else parameters:  # a build's: not unpickled
        for sid in p["studies"]:
            strength[sid] = max(strength.get(sid, 0), p["strength"])
    for s in prepared.studies:
        yield _document(s, effects_of.get(s["id"], []), terms, ancestors, strength.get(s["id"], 0))


def _document(study: dict, effects: list[dict], terms: dict, ancestors: dict, strength: int) -> dict:
    slugs = {kind: set() for kind in ("intervention", "target_group", "outcome", "comparison")}
    own = {kind: set() for kind in slugs}
    for e in effects:
        for kind in slugs:
            if e.get(kind):
                own[kind].add(e[kind])
                slugs[kind].update(ancestors.get((kind, e[kind]), [e[kind]]))
    text = {"da": [], "en": []}
    fielded = {"intervention": [], "target": [], "outcome": []}
    for kind, values in slugs.items():
        for slug in sorted(values):
            term = terms.get((kind, slug))
            for lang in ("da", "en"):
                words = [] if term is None else [term[f"label_{lang}"], *term[f"synonyms_{lang}"],
                                                 term.get(f"description_{lang}") or ""]
                text[lang].extend(words)
                if kind != "comparison":
                    fielded["target" if kind == "target_group" else kind].extend([slug, *words])
    common = [study.get("title") or "", study.get("abstract") or "", " ".join(study["authors"]),
              study["label"], study.get("country") or "", study.get("setting") or "",
              DESIGN_WORDS.get(study["design"], study["design"])]
    sizes = [standardised(e, (terms.get(("outcome", e["outcome"])) or {}).get("desirable")) for e in effects]
    sizes = [s for s in sizes if s is not None]
    da = [study.get("summary_da") or "", *text["da"], *common]
    en = [study.get("summary_en") or "", *text["en"], *common]
    card = {
        "id": study["id"], "label": study["label"], "title": study.get("title"),
        "authors": study["authors"], "year": study.get("year"), "country": study.get("country"),
        "design": study["design"], "evidence_level": study["evidence_level"],
        "summary_da": study.get("summary_da"), "summary_en": study.get("summary_en"),
        "intervention": sorted(slugs["intervention"]), "target_group": sorted(slugs["target_group"]),
        "outcome": sorted(slugs["outcome"]),
        "own": {kind: sorted(values) for kind, values in own.items()},
        "direction": sorted({e["direction"] for e in effects if e.get("direction")}),
        "effect_size": max(sizes) if sizes else None, "strength": strength,
    }
    doc = {
        "id": study["id"], "da": "\n".join(da), "en": "\n".join(en),
        "words": "\n".join([*da, *en]), "title": study.get("title") or study["label"],
        "author": " ".join(study["authors"]) or study["label"], "country": study.get("country") or "",
        "design": f"{study['design']} {DESIGN_WORDS.get(study['design'], '')}",
        "card": card, **{k: "\n".join(v) for k, v in fielded.items()},
        **{field_name(facet): card_values(card, facet) for facet in FACETS},
    }
    if study.get("year") is not None:
        doc["year"] = study["year"]
    return doc


class Spellings:
    """Folded word -> the word as written (lower case), for spelling suggestions (``out``, which may start
    with earlier documents'), from documents in order (:meth:`add`): a word's first spelling, or its first
    not in plain ASCII ("hjemløse" over "hjemloese"). ``changes``: each ``(folded, word)`` that set
    ``out``; :meth:`offer` of them elsewhere, in document order, gives the same spellings."""

    def __init__(self, out: dict[str, str] | None = None):
        self.out = {} if out is None else out
        self.changes: list = []
        self.seen: set[str] = set()  # lines read (at most 200,000: it is only a shortcut)
        self.known: set[str] = set()  # words counted (counting a word again never changes ``out``)

    def add(self, doc: dict) -> None:
        for line in doc["words"].split("\n"):
            if line in self.seen:  # a line seen before brings no word that is not already counted
                continue
            if len(self.seen) >= 200_000:
                self.seen.clear()
            self.seen.add(line)
            words = re.findall(r"\w+", line.lower())
            new = set(words).difference(self.known)
            if not new:
                continue
            self.known.update(new)
            for word in words:
                if word in new and len(word) >= 3 and not word.isdigit():
                    self.offer(fold(word), word)

    def offer(self, key: str, word: str) -> None:
        current = self.out.get(key)
        if current is None or (current.isascii() and not word.isascii()):
            self.out[key] = word
            self.changes.append((key, word))

    def drain(self) -> list:
        changes, self.changes = self.changes, []
        return changes
