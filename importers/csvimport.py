"""Plan the import of one extraction CSV (and its optional BibTeX/RIS file) from bytes.

Shared by ``evidence import csv`` and the web's contribution path, so a researcher on the
web sees exactly the problems the command prints: every one at once, located by file, row
and column (or option). Nothing here writes: the caller writes the plan, or stores it.
"""

from __future__ import annotations

from evidence.records.schemas import SLUG
from evidence.records.vocabulary import FIELD_OF_KIND, Vocabulary

from .bibtex import parse_bibtex
from .csvfile import Table, read_table
from .linking import link
from .plan import Importer, Plan
from .problems import ImportProblem
from .ris import parse_ris
from .rows import TERM_FIELDS, CsvOptions
from .studies import table_to_drafts

KIND_OF_FIELD = {name: kind for kind, name in FIELD_OF_KIND.items()}
SOURCE_EXAMPLE = "Landenberger & Lipsey (2005). Journal of Experimental Criminology, 1(4), 451–476."


def parse_references(name: str, data: bytes):
    """A .ris (or Web of Science .txt) file as RIS, anything else as BibTeX."""
    return parse_ris(data, name) if name.lower().endswith((".ris", ".txt")) else parse_bibtex(data, name)


def missing_source(name: str, source_field: str = "--source") -> ImportProblem:
    return ImportProblem(name, "", source_field, "say where the numbers come from: the review or dataset they"
                         f" were extracted from, e.g. \"{SOURCE_EXAMPLE}\"")


def unknown_terms(table: Table, rows: set[str], options: CsvOptions, vocabulary: Vocabulary,
                  add_terms: bool) -> list[ImportProblem]:
    """Unknown vocabulary slugs in ``rows`` ("row 7", …): the rows that already have another problem.

    Such rows never become records, so the record check would not see their slugs; reporting them
    here lists every problem in one pass instead of the next one only after the first is fixed.
    The messages are the record check's own, so a slug reported twice is listed once.
    """
    out = []
    for row in table.rows:
        if f"row {row.number}" not in rows:
            continue
        for name, option in TERM_FIELDS.items():
            cell = row.values.get(name, "")
            slug = cell or getattr(options, name)
            kind = KIND_OF_FIELD[name]
            if not slug or not SLUG.match(slug) or (kind, slug) in vocabulary or (add_terms and kind != "outcomes"):
                continue
            hits = vocabulary.suggest(kind, slug)
            hint = f"; did you mean {' or '.join(repr(h) for h in hits)}?" if hits else ""
            label = kind.replace("_", " ")[:-1]
            out.append(ImportProblem(table.path, f"row {row.number}" if cell else "",
                                     table.headers[name] if cell else option, f"unknown {label} '{slug}'{hint}"))
    return out


def plan_csv(importer: Importer, plan: Plan, name: str, data: bytes, options: CsvOptions,
             bib_name: str | None = None, bib_data: bytes | None = None, source_field: str = "--source") -> None:
    """Fill ``plan`` with every record the CSV would write and every problem, all in one pass.

    ``importer`` must be loaded (``importer.load(plan)`` returned True). Every row is read and
    checked even when an option is missing, so all problems show at once.
    """
    if not (options.source or "").strip():
        plan.problems.append(missing_source(name, source_field))
    options.source = (options.source or "").strip() or None
    table, problems = read_table(data, name)
    plan.problems += problems
    if table is None:
        return
    drafts, problems, notices = table_to_drafts(table, options, importer.vocabulary, importer.file_name,
                                                importer.history)
    rows = {p.where for p in problems if p.path == table.path and p.where}
    plan.problems += problems + unknown_terms(table, rows, options, importer.vocabulary, importer.add_terms)
    del table  # the drafts hold what the rest needs: a large file's rows are not kept while matching
    plan.notices += notices
    if bib_data is not None and bib_name is not None:
        references, problems = parse_references(bib_name, bib_data)
        plan.problems += problems
        plan.notices += link(drafts, references, bib_name, plan.problems)
    if options.source:
        importer.apply(drafts, plan, create=True)
