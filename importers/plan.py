"""Plan an import in memory, check every record it would write, and only then write.

The plan holds the full text of every file the import would write. Each resulting
record is checked with the project's own rules (the StudySchema, the vocabularies,
ids unique against the corpus) before anything is written.
With any problem nothing is written; otherwise all files are written at once with
``write_files`` (all or nothing). A record that would not change is not rewritten.
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import yaml
from marshmallow import ValidationError

from evidence.records.schemas import SLUG, TermSchema
from evidence.records.slugs import slugify, unique
from evidence.records.validate import STUDY_SCHEMA, check_terms, display_path, flatten, load_corpus
from evidence.records.vocabulary import FIELD_OF_KIND, Term, Vocabulary
from evidence.records.write import dump_record, dump_terms, write_files

from .citation import fold, study_name, surname
from .draft import Draft
from .enrich import Enrichment, enrich
from .matching import Existing, Index, find
from .problems import ImportProblem, in_file_order
from .wording import COMMAND_LINE, Wording


@dataclass
class FileChange:
    path: Path
    old: str | None  # None for a new file
    text: object  # the new text, or a function that makes it (rendered only when written or shown)
    summary: str = ""

    @property
    def new(self) -> str:
        if callable(self.text):  # a dry run of many new records renders none of them
            self.text = self.text()
        return self.text

    @property
    def status(self) -> str:
        return "new" if self.old is None else "unchanged" if self.old == self.new else "changed"

    def diff(self, limit: int = 60) -> list[str]:
        shown = display_path(self.path)
        lines = list(difflib.unified_diff((self.old or "").splitlines(), self.new.splitlines(),
                                          f"a/{shown}" if self.old is not None else "/dev/null", f"b/{shown}",
                                          lineterm="", n=1))
        return lines[:limit] + ([f"… ({len(lines) - limit} more lines)"] if len(lines) > limit else [])


@dataclass
class Plan:
    changes: list[FileChange] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    # (file, row, study name as the file gives it, the existing record's file, what they share)
    near_duplicates: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    @property
    def writes(self) -> dict[Path, str]:
        return {c.path: c.new for c in self.changes if c.status != "unchanged"}

    def count(self, status: str) -> int:
        return sum(1 for c in self.changes if c.status == status and c.path.parent.name == "studies")

    def write(self) -> None:
        if self.problems:
            raise RuntimeError("a plan with problems is never written")
        write_files(self.writes)


@dataclass
class _Result:
    """One record the import touches."""

    path: Path
    before: dict | None
    after: dict
    draft: Draft
    enrichment: Enrichment | None = None

    def locate(self, path: str, show=display_path) -> tuple[str, str, str]:
        """(file, row or line, column) in the import file for a field of the resulting record; ``show``
        names a record file (see :class:`Importer`)."""
        parts = path.split(".")
        if parts[0] == "effects" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            if self.enrichment is not None:
                back = {i: j for j, i in self.enrichment.effect_of_draft.items()}
                if index not in back:  # an effect already in the record
                    return show(self.path), "", path
                index = back[index]
            path = ".".join(["effects", str(index), *parts[2:]])
        where, column = self.draft.locate(path)
        return self.draft.path, where, column


class _RawLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Reads a record as written, dates kept as text (as ``evidence.records.yamlio`` does)."""


_RawLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def read_record(path: Path) -> dict:
    """A record file as written (``load_corpus`` has already checked it)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_RawLoader)


def label_of(slug: str) -> str:
    text = slug.replace("-", " ")
    return text[:1].upper() + text[1:]


class Importer:
    """Everything an import needs to know about the data folder, loaded once."""

    def __init__(self, data_dir: Path, *, file_name: str, by: str, today: str, force: bool = False,
                 add_terms: bool = False, allow_duplicates: bool | None = None, change: str | None = None,
                 term_edits: dict[tuple[str, str], dict] | None = None, show=display_path,
                 wording: Wording = COMMAND_LINE):
        """``allow_duplicates`` (default: ``force``) imports a near-duplicate as a new study;
        ``change`` is the history entry's text; ``term_edits`` maps (kind, slug) of a term the
        import adds to a curator's ``label``/``parent``/``synonyms`` for it (then it is curated).

        The messages are made for whoever reads them: ``show(path)`` names a file of the data folder
        (the command line: relative to the working folder; a web page: inside data/, no server path),
        and ``wording`` names what the reader can do (the command line's options, or the page's controls)."""
        self.data_dir = data_dir
        self.show, self.wording = show, wording
        self.file_name = file_name
        self.history = {"date": today, "by": by, "change": change or f"Imported from {file_name}"}
        self.force = force
        self.allow_duplicates = force if allow_duplicates is None else allow_duplicates
        self.term_edits = term_edits or {}
        self.add_terms = add_terms
        self.vocabulary = Vocabulary()
        self.existing: list[Existing] = []
        self.index = Index([])

    def load(self, plan: Plan) -> bool:
        corpus = load_corpus(self.data_dir)
        if corpus.problems:
            plan.problems += [ImportProblem(p.path, f"line {p.line}" if p.line else "", p.field, p.message)
                              for p in corpus.problems]
            plan.problems.append(ImportProblem(self.show(self.data_dir), "", "",
                                               "the data folder has problems (see above); fix them first"
                                               " (`evidence validate` lists them), then import"))
            return False
        self.vocabulary = corpus.vocabulary
        self.existing = [Existing(r.path, read_record(r.path)) for r in corpus.studies]
        self.index = Index(self.existing)
        return True

    # -- matching and enriching -------------------------------------------------------------

    def apply(self, drafts: list[Draft], plan: Plan, *, create: bool) -> None:
        """Match every draft, enrich or create its record, check everything, and fill ``plan``."""
        studies_dir = self.data_dir / "studies"
        taken = {e.path.stem for e in self.existing} | {e.id for e in self.existing}
        claimed: dict[Path, Draft] = {}
        results: list[_Result] = []
        for draft in drafts:
            if create:
                self._keep_name(draft)
            match = find(draft.record, self.index, by_source=create)
            targets = [match.record] if match.record is not None else []
            if match.ambiguous and not create and match.rule in ("DOI", "title and year"):
                # One publication reporting several studies: its citation belongs to each of them.
                targets = match.ambiguous
            elif match.ambiguous:
                names = ", ".join(self.show(e.path) for e in match.ambiguous)
                plan.problems.append(ImportProblem(draft.path, draft.where, "", f"'{draft.name}' matches several"
                                                   f" studies by {match.rule} ({names}); give it a doi or bibkey"
                                                   " to say which"))
                continue
            for existing in targets:
                if existing.path in claimed:
                    other = claimed[existing.path]
                    plan.problems.append(ImportProblem(draft.path, draft.where, "", f"'{draft.name}' and"
                                                       f" '{other.name}' ({other.where}) both match"
                                                       f" {self.show(existing.path)}; import one of them"))
                    continue
                claimed[existing.path] = draft
                results.append(self._enrich(existing, draft, plan))
            if targets:
                continue
            if not create:
                plan.notices.append(f"{draft.path}:{draft.where}: '{draft.name}' matches no study (by DOI,"
                                    " title and year, or bibkey); not imported: a study record needs effect data,"
                                    " so import it with `evidence import csv … --bib`")
                continue
            sid = unique(self._base_id(draft), taken)
            taken.add(sid)
            plan.near_duplicates += [(draft.path, draft.where, draft.name, self.show(e.path), match.why[e.path])
                                     for e in match.similar]
            if match.similar and not self.allow_duplicates:
                # A near-duplicate is refused, not just noted: a slightly different --source must not
                # quietly make a second record of one study.
                where, column = draft.locate("citation")
                for e in match.similar:
                    plan.problems.append(ImportProblem(draft.path, where, column, (
                        f"'{draft.name}' may be {self.show(e.path)} ({match.why[e.path]}), but nothing confirms"
                        " it (no common DOI, title, bibkey or source): give the study's doi (or"
                        f" {self.wording.same_source}) if it is that study; if it is another study,"
                        f" {self.wording.force_advice}")))
            for e in match.similar if self.allow_duplicates else ():
                plan.notices.append(f"{draft.path}:{draft.where}: '{draft.name}' may be {self.show(e.path)}"
                                    f" ({match.why[e.path]}), but nothing confirms it is the same study"
                                    f" (no common DOI, title or source): imported as {sid} ({self.wording.forced})")
            results.append(_Result(studies_dir / f"{sid}.yaml", None, {"id": sid, **draft.record}, draft))
        vocabulary, term_changes = self._terms(results, plan)
        # where an unknown outcome was already reported: built once, kept up to date by _check
        said = {(p.path, p.where, p.field) for p in plan.problems if p.message.startswith("unknown outcome")}
        for result in results:
            self._check(result, vocabulary, plan, said)
        plan.problems = in_file_order(plan.problems)
        plan.changes += [self._change(r) for r in results] + term_changes

    def _enrich(self, existing: Existing, draft: Draft, plan: Plan) -> _Result:
        same_source = fold(str(existing.raw.get("provenance", {}).get("source") or "")) == fold(
            str(draft.record.get("provenance", {}).get("source") or ""))
        result = enrich(existing.raw, draft.record, force=self.force, history=self.history, same_source=same_source)
        for conflict in result.conflicts:
            plan.notices.append(f"{draft.path}:{draft.where}: {self.show(existing.path)}:"
                                f" {conflict.describe(self.force)}")
        return _Result(existing.path, existing.raw, result.record, draft, result)

    def _keep_name(self, draft: Draft) -> None:
        """Keep the file's name for the study when the citation cannot give it back ("Robinson (1995a)")."""
        if fold(draft.name) != fold(study_name(draft.record["citation"])):
            draft.record["provenance"].setdefault("descriptors", {})["study"] = draft.name

    @staticmethod
    def _base_id(draft: Draft) -> str:
        """The seed corpus's ids: first author and year ("robinson-1995a"), or the label."""
        cit = draft.record["citation"]
        if cit.get("authors"):
            letter = re.search(r"\d{4}([a-z])\)?\s*$", draft.name)
            return slugify(f"{surname(cit['authors'][0])} {cit.get('year') or ''}{letter.group(1) if letter else ''}")
        return slugify(cit.get("label") or cit.get("title") or draft.name)

    # -- vocabulary -------------------------------------------------------------------------

    def _terms(self, results: list[_Result], plan: Plan) -> tuple[Vocabulary, list[FileChange]]:
        """The vocabulary to check against; with --add-terms, the new terms and their files."""
        if not self.add_terms:
            return self.vocabulary, []
        vocabulary = copy.deepcopy(self.vocabulary)
        new: dict[str, list[dict]] = {}
        for result in results:
            for i, effect in enumerate(result.after.get("effects", [])):
                for kind, name in FIELD_OF_KIND.items():
                    slug = effect.get(name)
                    if not isinstance(slug, str) or not SLUG.match(slug) or (kind, slug) in vocabulary:
                        continue
                    if kind == "outcomes":
                        path, where, column = result.locate(f"effects.{i}.{name}", self.show)
                        hits = vocabulary.suggest(kind, slug)
                        hint = f"; did you mean {' or '.join(repr(h) for h in hits)}?" if hits else ""
                        plan.problems.append(ImportProblem(path, where, column, (
                            f"unknown outcome '{slug}': --add-terms cannot add an outcome, because a curator must"
                            " say whether it is binary or continuous and whether higher is better; add it to"
                            f" data/vocabularies/outcomes.yaml first{hint}")))
                        continue
                    term = {"slug": slug, "label": {"da": label_of(slug), "en": label_of(slug)},
                            "needs_curation": True}
                    if (kind, slug) in self.term_edits:  # a curator's labels, parent and synonyms
                        term = {"slug": slug, **self.term_edits[kind, slug]}
                    loaded = TermSchema().load(copy.deepcopy(term))
                    new.setdefault(kind, []).append(term)
                    vocabulary.add(Term(kind, slug, loaded["label"]["da"], loaded["label"]["en"],
                                        parent=loaded.get("parent"), needs_curation=loaded["needs_curation"]))
        changes = []
        for kind, terms in new.items():
            path = self.data_dir / "vocabularies" / f"{kind}.yaml"
            old = path.read_text(encoding="utf-8")
            # Appended after the existing terms, which stay exactly as they are ...
            text = (old if old.endswith("\n") or not old else old + "\n") + dump_terms(terms)
            existing = yaml.load(old, Loader=_RawLoader) or []
            try:
                appended = yaml.load(text, Loader=_RawLoader)
            except yaml.YAMLError:
                appended = None
            if appended != [*existing, *terms]:  # ... unless the file is not a plain block list ("[]")
                text = dump_terms([*existing, *terms])
            changes.append(FileChange(path, old, text, "new terms (needs_curation): "
                                      + ", ".join(t["slug"] for t in terms)))
        return vocabulary, changes

    # -- checking ---------------------------------------------------------------------------

    def _check(self, result: _Result, vocabulary: Vocabulary, plan: Plan, said: set[tuple[str, str, str]]) -> None:
        if result.before is not None and result.after == result.before:
            return
        try:
            data = STUDY_SCHEMA.load(result.after)  # one schema for every record (a new one per record cost more)
        except ValidationError as exc:
            found = flatten(exc.messages)
        else:
            found = check_terms(data, vocabulary)
            if data["id"] != result.path.stem:
                found.append(("id", f"the id '{data['id']}' must equal the file name '{result.path.stem}'"))
        for where, message in found:
            path, row, column = result.locate(where, self.show)
            if message.startswith("unknown outcome"):
                if (path, row, column) in said:
                    continue  # --add-terms (or the record of another match) has said why
                said.add((path, row, column))
            plan.problems.append(ImportProblem(path, row, column, message))

    def _change(self, result: _Result) -> FileChange:
        if result.before is not None and result.after == result.before:
            text = result.path.read_text(encoding="utf-8")
            return FileChange(result.path, text, text, f"'{result.draft.name}': nothing new")
        if result.before is None:
            effects = result.after.get("effects", [])
            what = "; ".join(f"{e.get('outcome')} {e.get('measure')} from {e.get('form')}" for e in effects)
            return FileChange(result.path, None, partial(dump_record, result.after),
                              f"'{result.draft.name}': {len(effects)} effect(s): {what}")
        new = dump_record(result.after)
        old = result.path.read_text(encoding="utf-8")
        return FileChange(result.path, old, new, f"'{result.draft.name}': "
                          + ", ".join(dict.fromkeys(result.enrichment.changed)))
