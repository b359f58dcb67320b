"""Load and check the whole data folder: every problem at once, each located.

A problem prints as ``data/studies/x.yaml:14: effects.0.data.ai: message``:
the file, the line where known, the field path, and what is wrong.
"""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import ValidationError

from ..constants import default_workers
from .prices import load_prices
from .problems import Problem, display_path, flatten
from .schemas import OutcomeTermSchema, StudySchema, TermSchema
from .vocabulary import AREAS, FIELD_OF_KIND, KINDS, Term, Vocabulary
from .yamlio import Loaded, YamlError, load, loads

#: One schema for every record: building a marshmallow schema is costly, loading with one is not.
STUDY_SCHEMA = StudySchema()


@dataclass
class StudyRecord:
    path: Path
    data: dict  # as loaded by StudySchema: defaults filled in


@dataclass
class Corpus:
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    studies: list[StudyRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _schema_problems(exc: ValidationError, shown: str, loaded: Loaded, base: str = "") -> list[Problem]:
    problems = []
    for path, message in flatten(exc.messages):
        full = f"{base}.{path}" if base and path else (path or base)
        problems.append(Problem(shown, full, message, loaded.line_of(full)))
    return problems


def load_vocabulary(vocab_dir: Path, corpus: Corpus) -> None:
    for kind in KINDS:
        path = vocab_dir / f"{kind}.yaml"
        shown = display_path(path)
        if not path.exists():
            corpus.problems.append(Problem(shown, "", "vocabulary file is missing"))
            continue
        try:
            loaded = load(path)
        except YamlError as exc:
            corpus.problems.append(Problem(shown, "", str(exc), exc.line))
            continue
        if not isinstance(loaded.data, list):
            corpus.problems.append(Problem(shown, "", "must be a list of terms", 1))
            continue
        schema = OutcomeTermSchema() if kind == "outcomes" else TermSchema()
        for i, raw in enumerate(loaded.data):
            try:
                term = schema.load(raw if isinstance(raw, dict) else {"_": raw})
            except ValidationError as exc:
                corpus.problems.extend(_schema_problems(exc, shown, loaded, str(i)))
                continue
            if term["slug"] in corpus.vocabulary.terms[kind]:
                corpus.problems.append(
                    Problem(shown, f"{i}.slug", f"duplicate slug '{term['slug']}'", loaded.line_of(f"{i}.slug"))
                )
                continue
            corpus.vocabulary.add(
                Term(
                    kind=kind,
                    slug=term["slug"],
                    label_da=term["label"]["da"],
                    label_en=term["label"]["en"],
                    parent=term.get("parent"),
                    synonyms_da=tuple(term["synonyms"].get("da", ())),
                    synonyms_en=tuple(term["synonyms"].get("en", ())),
                    description_da=term["description"].get("da"),
                    description_en=term["description"].get("en"),
                    outcome_type=term.get("type"),
                    desirable=term.get("desirable"),
                    default_measure=term.get("default_measure"),
                    needs_curation=term["needs_curation"],
                    areas=tuple(term["areas"]),
                )
            )
        _check_hierarchy(kind, shown, loaded, corpus)
    _check_areas(vocab_dir, corpus)


def _check_areas(vocab_dir: Path, corpus: Corpus) -> None:
    """An intervention's or outcome's ``areas`` name SØM areas (root target groups)."""
    roots = {s for s, t in corpus.vocabulary.terms["target_groups"].items() if t.parent is None and s in AREAS}
    for kind in ("interventions", "outcomes"):
        path = vocab_dir / f"{kind}.yaml"
        index = {}
        try:
            loaded = load(path)
            index = {raw.get("slug"): i for i, raw in enumerate(loaded.data or []) if isinstance(raw, dict)}
        except (OSError, YamlError):
            continue  # already reported above
        for slug, term in corpus.vocabulary.terms[kind].items():
            for j, area in enumerate(term.areas):
                if area not in roots:
                    where = f"{index.get(slug)}.areas.{j}"
                    corpus.problems.append(Problem(display_path(path), where, f"unknown area '{area}'; the areas are "
                                                   f"the top-level target groups {', '.join(sorted(roots))}",
                                                   loaded.line_of(where)))


def _check_hierarchy(kind: str, shown: str, loaded: Loaded, corpus: Corpus) -> None:
    vocab = corpus.vocabulary
    index = {raw.get("slug"): i for i, raw in enumerate(loaded.data) if isinstance(raw, dict)}
    for slug, term in vocab.terms[kind].items():
        if term.parent is None:
            continue
        where = f"{index.get(slug)}.parent"
        if term.parent not in vocab.terms[kind]:
            hint = _did_you_mean(vocab.suggest(kind, term.parent))
            corpus.problems.append(Problem(shown, where, f"unknown parent '{term.parent}'{hint}",
                                           loaded.line_of(where)))
        elif slug in vocab.ancestors(kind, term.parent) or term.parent == slug:
            corpus.problems.append(Problem(shown, where, "the hierarchy has a cycle", loaded.line_of(where)))


def _did_you_mean(hits: list[str]) -> str:
    return f"; did you mean {' or '.join(repr(h) for h in hits)}?" if hits else ""


def check_terms(study: dict, vocab: Vocabulary) -> list[tuple[str, str]]:
    """(field path, message) for every unknown or mismatched vocabulary term."""
    out = []
    for i, effect in enumerate(study["effects"]):
        for kind, name in FIELD_OF_KIND.items():
            slug = effect.get(name)
            if slug is not None and (kind, slug) not in vocab:
                label = kind.replace("_", " ")[:-1]
                out.append((f"effects.{i}.{name}",
                            f"unknown {label} '{slug}'{_did_you_mean(vocab.suggest(kind, slug))}"))
        outcome = vocab.get("outcomes", effect["outcome"])
        if outcome is not None:
            if effect["form"] == "counts" and outcome.outcome_type != "binary":
                out.append((f"effects.{i}.form",
                            f"counts need a binary outcome; '{outcome.slug}' is {outcome.outcome_type}"))
            if effect["form"] == "means" and outcome.outcome_type != "continuous":
                out.append((f"effects.{i}.form",
                            f"means need a continuous outcome; '{outcome.slug}' is {outcome.outcome_type}"))
    return out


def load_study(path: Path, corpus: Corpus, content: bytes | None = None) -> StudyRecord | None:
    """Validate one record file (or ``content``, the file's bytes when already read).

    The path is resolved for display only when there is a problem (a resolve per record is ~5% of validation).
    """
    try:
        if content is None:
            loaded = load(path)
        else:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise YamlError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
            loaded = loads(text)
    except YamlError as exc:
        corpus.problems.append(Problem(display_path(path), "", str(exc), exc.line))
        return None
    if not isinstance(loaded.data, dict):
        corpus.problems.append(Problem(display_path(path), "", "a study record must be a mapping of fields", 1))
        return None
    try:
        data = STUDY_SCHEMA.load(loaded.data)
    except ValidationError as exc:
        corpus.problems.extend(_schema_problems(exc, display_path(path), loaded))
        return None
    problems = check_terms(data, corpus.vocabulary)
    for where, message in problems:
        corpus.problems.append(Problem(display_path(path), where, message, loaded.line_of(where)))
    for effect in data["effects"]:
        if effect["poolable"] is None:
            effect["poolable"] = True
    return None if problems else StudyRecord(path, data)


#: From this many records on, validation runs over worker processes (one per core).
PARALLEL_MIN_FILES = 2000
_WORKER_VOCABULARY: Vocabulary | None = None


def load_corpus(data_dir: Path, read=None, workers: int | None = None,
                min_files: int = PARALLEL_MIN_FILES, each=None) -> Corpus:
    """Every vocabulary and study under ``data_dir``, with every problem found.

    ``read(path) -> bytes``, if given, reads each study file (the build hashes
    what it reads). With ``min_files`` records or more, the records are
    validated over ``workers`` processes (default: one per core); the result,
    problems included and in the same order, is the same. ``each(record, vocabulary)``,
    if given, is called with each valid record in order as soon as it is known, so
    the caller works while the worker processes validate the rest (records are
    passed even when others have problems: check ``problems`` after).
    """
    corpus = Corpus()
    if not data_dir.is_dir():
        corpus.problems.append(Problem(display_path(data_dir), "", "the data folder does not exist"))
        return corpus
    load_vocabulary(data_dir / "vocabularies", corpus)
    check_prices(data_dir / "prices", corpus)
    paths, stray = study_paths(data_dir)
    for p in stray:
        corpus.problems.append(Problem(display_path(p), "",
                                       "study records are .yaml files; rename or remove this file"))
    stems = {p.stem: p for p in paths}
    workers = workers if workers is not None else default_workers()
    loaded = _load_parallel(paths, corpus.vocabulary, read, workers) if workers > 1 and len(paths) >= min_files \
        else None
    try:
        for path in paths:
            if loaded is None:
                record = load_study(path, corpus, read(path) if read else None)
            else:
                record, problems = next(loaded)
                corpus.problems.extend(problems)
            if record is not None and check_id(record, stems, corpus):
                corpus.studies.append(record)
                if each is not None:
                    each(record, corpus.vocabulary)
    finally:
        if loaded is not None:
            loaded.close()  # stops the workers now if ``each`` raised
    return corpus


def check_prices(prices_dir: Path, corpus: Corpus) -> None:
    """The price catalogue's problems, located like every other (the catalogue is read by the app itself)."""
    outcomes = set(corpus.vocabulary.terms["outcomes"]) or None
    corpus.problems.extend(load_prices(prices_dir, outcomes)[1])


def _init_worker(vocabulary: Vocabulary) -> None:
    global _WORKER_VOCABULARY
    _WORKER_VOCABULARY = vocabulary


def _load_chunk(chunk: list[tuple[Path, bytes]]) -> list[tuple[StudyRecord | None, list[Problem]]]:
    out = []
    for path, content in chunk:
        corpus = Corpus(vocabulary=_WORKER_VOCABULARY)
        out.append((load_study(path, corpus, content), corpus.problems))
    return out


def _load_parallel(paths: list[Path], vocabulary: Vocabulary, read, workers: int):
    """``(record, problems)`` of every path, in order, validated over worker processes: an iterator that
    gives each chunk's results as soon as they are in (the workers go on meanwhile). The files are read here
    (the build hashes what it reads), a chunk at a time a few chunks ahead of the workers, so they start at
    once and the files' bytes are not all held."""
    from concurrent.futures import ProcessPoolExecutor

    size = max(len(paths) // (workers * 8), 1)
    starts = iter(range(0, len(paths), size))
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(vocabulary,)) as executor:
        def submit() -> None:
            start = next(starts, None)
            if start is not None:
                chunk = [(p, read(p) if read else p.read_bytes()) for p in paths[start:start + size]]
                pending.append(executor.submit(_load_chunk, chunk))

        pending: collections.deque = collections.deque()
        for _ in range(2 * workers):
            submit()
        while pending:
            done = pending.popleft().result()
            submit()
            yield from done


#: Files in studies/ that look like records but are not read (a problem: rename or remove them).
STRAY = (".yml", ".json", ".toml")


def study_paths(data_dir: Path) -> tuple[list[Path], list[Path]]:
    """The study record files under ``data_dir``, and stray files that look like records but are not .yaml."""
    studies_dir = data_dir / "studies"
    if not studies_dir.is_dir():
        return [], []
    names = sorted(os.listdir(studies_dir))  # names sort as the paths in one folder do, and much faster
    paths = [studies_dir / n for n in names if n.endswith(".yaml")]
    stray = [studies_dir / n for n in names if os.path.splitext(n)[1] in STRAY]
    return paths, stray


def check_id(record: StudyRecord, stems: dict[str, Path], corpus: Corpus) -> bool:
    """The whole-corpus rule: a study's id is its file name, so ids are unique. False (and a problem) if not."""
    sid = record.data["id"]
    if sid == record.path.stem:
        return True
    other = stems.get(sid)
    message = (f"duplicate study id '{sid}' (also in {display_path(other)})" if other else
               f"the id '{sid}' must equal the file name '{record.path.stem}'")
    corpus.problems.append(Problem(display_path(record.path), "id", message, 1))
    return False
