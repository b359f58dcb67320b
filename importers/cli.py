"""``evidence import csv|bibtex|ris``: plan, check, and only then write (or, with --dry-run, show)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from evidence.config import load_settings
from evidence.records.validate import display_path

from .bibtex import parse_bibtex
from .csvimport import missing_source, plan_csv
from .plan import Importer, Plan
from .problems import ImportProblem, in_file_order
from .ris import parse_ris
from .studies import CsvOptions

FILE = click.Path(path_type=Path)


def _common(command):
    command = click.option("--force", is_flag=True,
                           help="Replace values that differ from the existing record (they are kept otherwise),"
                           " and import a near-duplicate of a study as a new study (refused otherwise).")(command)
    command = click.option("--dry-run", is_flag=True, help="Show what would be written, and write nothing.")(command)
    command = click.option("--by", metavar="NAME",
                           help="Who imports, for the records' history (default: $USER).")(command)
    return command


@click.group("import")
def import_group():
    """Add studies from an extraction spreadsheet (CSV), BibTeX or RIS.

    Every record is checked before anything is written; with any problem nothing
    is written. Importing the same file again changes nothing.
    """


#: The largest import file, in MB (EVIDENCE_IMPORT_MAX_MB): an import holds every record it makes in memory
#: (about 5 KB per row; a 5 MB CSV of 45,000 rows takes about 280 MB and 15 s of CPU: benchmarks/importscale.py).
DEFAULT_MAX_MB = 10


def max_bytes() -> int:
    raw = os.environ.get("EVIDENCE_IMPORT_MAX_MB", "")
    try:
        return int(float(raw) * (1 << 20)) if raw.strip() else DEFAULT_MAX_MB << 20
    except ValueError:
        raise click.ClickException(f"EVIDENCE_IMPORT_MAX_MB must be a number of megabytes, not '{raw}'") from None


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.2f}".rstrip("0").rstrip(".")


def _read(path: Path, plan: Plan) -> bytes | None:
    try:
        limit, size = max_bytes(), path.stat().st_size
        if size > limit and path.is_file():
            plan.problems.append(ImportProblem(
                str(path), "", "", f"is {_mb(size)} MB; an import file may be at most {_mb(limit)} MB: "
                "split it into smaller files, or raise EVIDENCE_IMPORT_MAX_MB"))
            return None
        return path.read_bytes()
    except FileNotFoundError:
        message = "no such file"
    except IsADirectoryError:
        message = "is a folder, not a file"
    except OSError as exc:
        message = f"cannot be read ({exc.strerror or exc})"
    plan.problems.append(ImportProblem(str(path), "", "", message))
    return None


def _importer(path: Path, by: str | None, force: bool, add_terms: bool = False) -> Importer:
    return Importer(load_settings().data_dir, file_name=path.name, today=dt.date.today().isoformat(),
                    by=by or os.environ.get("USER") or "evidence import", force=force, add_terms=add_terms)


def _finish(plan: Plan, dry_run: bool) -> None:
    for notice in plan.notices:
        click.echo(f"note: {notice}")
    if plan.problems:
        for problem in in_file_order(plan.problems):
            click.echo(str(problem), err=True)
        click.echo(f"{len(in_file_order(plan.problems))} problem(s); nothing was written.", err=True)
        sys.exit(1)
    shown = _Shown()
    lines: list[str] = []
    for change in plan.changes:
        lines.append(f"  {change.status:<9} {shown(change.path)}  {change.summary}")
        if dry_run and change.status == "changed":
            lines += [f"      {line}" for line in change.diff()]
        if len(lines) >= 500:  # a write per few hundred lines: a large import lists tens of thousands of files
            click.echo("\n".join(lines))
            lines = []
    if lines:
        click.echo("\n".join(lines))
    counts = ", ".join(f"{plan.count(s)} {s}" for s in ("new", "changed", "unchanged"))
    if dry_run:
        click.echo(f"Studies: {counts}. Dry run: nothing was written.")
        return
    if not plan.writes:
        click.echo(f"Studies: {counts}. Nothing to write: every record is unchanged.")
        return
    plan.write()
    click.echo(f"Studies: {counts}. Wrote {len(plan.writes)} file(s).")


class _Shown:
    """``display_path`` for many files of a few folders: each folder resolved once, not every file."""

    def __init__(self):
        self.folders: dict[Path, str | None] = {}

    def __call__(self, path: Path) -> str:
        if path.is_symlink() or path.name in ("", ".", ".."):
            return display_path(path)  # resolving it may leave the folder: the general way
        if path.parent not in self.folders:
            shown = display_path(path.parent)
            self.folders[path.parent] = shown if not Path(shown).is_absolute() else None
        folder = self.folders[path.parent]
        # outside the working folder display_path keeps the path as given
        return str(Path(folder) / path.name) if folder is not None else str(path)


@import_group.command("csv")
@click.argument("file", type=FILE)
@click.option("--intervention", metavar="SLUG", help="Intervention of every row (a row's 'intervention' column wins).")
@click.option("--target-group", metavar="SLUG", help="Target group of every row ('target_group' column wins).")
@click.option("--outcome", metavar="SLUG", help="Outcome of every row ('outcome' column wins).")
@click.option("--comparison", metavar="SLUG", help="Comparison of every row ('comparison' column wins).")
@click.option("--measure", metavar="M", help="Effect measure (RR OR RD MD SMD ROM GEN); default: the outcome's.")
@click.option("--design", metavar="D",
              help="Study design of every row ('design' column wins); default controlled-study.")
@click.option("--source", metavar="TEXT", help="Citation of the review or dataset the numbers come from (required).")
@click.option("--bib", type=FILE, metavar="FILE", help="BibTeX (or .ris) file with the studies' full citations.")
@click.option("--add-terms", is_flag=True, help="Add unknown slugs to the vocabularies, flagged for curation.")
@_common
def csv_command(file, intervention, target_group, outcome, comparison, measure, design, source, bib, add_terms,
                dry_run, force, by):
    """Import effect estimates, one per row, in metafor's escalc column names."""
    plan = Plan()
    data = _read(file, plan)
    bib_data = _read(bib, plan) if bib is not None else None
    importer = _importer(file, by, force, add_terms)
    if data is None or not importer.load(plan):
        if not (source or "").strip():  # said now too: every problem at once
            plan.problems.append(missing_source(display_path(file)))
        _finish(plan, dry_run)
    options = CsvOptions(intervention, target_group, outcome, comparison, measure, design, source)
    plan_csv(importer, plan, display_path(file), data, options,
             display_path(bib) if bib_data is not None else None, bib_data)
    _finish(plan, dry_run)


def _references_command(file: Path, dry_run: bool, force: bool, by: str | None, parse) -> None:
    plan = Plan()
    data = _read(file, plan)
    importer = _importer(file, by, force)
    if plan.problems or not importer.load(plan):
        _finish(plan, dry_run)
    drafts, problems = parse(data, display_path(file))
    plan.problems += problems
    importer.apply(drafts, plan, create=False)
    _finish(plan, dry_run)


@import_group.command("bibtex")
@click.argument("file", type=FILE)
@_common
def bibtex_command(file, dry_run, force, by):
    """Enrich studies with authors, title, journal, DOI … from a BibTeX file."""
    _references_command(file, dry_run, force, by, parse_bibtex)


@import_group.command("ris")
@click.argument("file", type=FILE)
@_common
def ris_command(file, dry_run, force, by):
    """Enrich studies with authors, title, journal, DOI … from a RIS file."""
    _references_command(file, dry_run, force, by, parse_ris)
