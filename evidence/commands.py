"""``evidence validate``, ``evidence build`` and ``evidence stats``."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import func, select

from .build import BuildError, build
from .config import load_settings
from .db.models import BuildInfo, Effect, Parameter, Study, Term
from .db.session import make_engine
from .records.uncurated import uncurated_terms
from .records.validate import load_corpus
from .services.coverage import area_coverage


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s) found; nothing was changed.", err=True)


def _track():
    """A progress bar on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return None

    def track(items, label):
        return click.progressbar(items, label=label, file=sys.stderr)

    return track


@click.command("validate")
@click.option("--strict", is_flag=True, help="Terms still marked needs_curation are errors, not warnings.")
def validate_command(strict):
    """Check every study record and vocabulary; list every problem.

    Terms marked ``needs_curation`` (added by ``import csv --add-terms`` with labels made from
    their slugs) are listed as warnings; with --strict they are problems (exit status 1).
    """
    settings = load_settings()
    corpus = load_corpus(settings.data_dir)
    uncurated = uncurated_terms(settings.data_dir, corpus.vocabulary)
    problems = list(corpus.problems) + (uncurated if strict else [])
    if not strict:
        for term in uncurated:
            click.echo(f"warning: {term}", err=True)
    if problems:
        _print_problems(problems)
        sys.exit(1)
    click.echo(f"{len(corpus.studies)} studies and {sum(corpus.vocabulary.counts().values())} terms: all valid"
               + (f" ({len(uncurated)} term(s) need curation)." if uncurated else "."))


@click.command("build")
@click.option("--full", is_flag=True, help="Rebuild everything, even when only some study records changed.")
def build_command(full):
    """Validate, compute effect sizes and pooled parameters, and load the database.

    When the last build is known and only study records changed, only what they
    touch is redone (an incremental build); --full rebuilds everything.
    """
    settings = load_settings()
    try:
        prepared = build(settings, track=_track(), incremental=not full)
    except BuildError as exc:
        _print_problems(exc.problems)
        sys.exit(1)
    counts = prepared.counts()
    click.echo(f"Built dataset {prepared.dataset_version}: {counts['studies']} studies, "
               f"{counts['effects']} effects, {counts['parameters']} parameters → {settings.database_url}"
               + (f" (incremental: {len(prepared.studies)} studies and {len(prepared.parameters)} parameters redone)"
                  if prepared.incremental else ""))


@click.command("stats")
def stats_command():
    """Print counts from the built database as one JSON object, with coverage per SØM area."""
    settings = load_settings()
    engine = make_engine(settings.database_url, readonly=True)
    try:
        with engine.connect() as conn:
            def count(model, *where):
                return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

            info = conn.execute(select(BuildInfo)).first()
            out = {
                "studies": count(Study),
                "effects": count(Effect),
                "interventions": count(Term, Term.kind == "interventions"),
                "target_groups": count(Term, Term.kind == "target_groups"),
                "outcomes": count(Term, Term.kind == "outcomes"),
                "comparisons": count(Term, Term.kind == "comparisons"),
                "parameters": count(Parameter),
                "dataset_version": info.dataset_version if info else None,
                "built_at": info.built_at if info else None,
                "areas": area_coverage(conn),
            }
    except Exception as exc:  # a missing or foreign database: say what to do
        raise click.ClickException(f"cannot read the database at {settings.database_url} ({exc.__class__.__name__});"
                                   " run `evidence build` first") from None
    finally:
        engine.dispose()
    click.echo(json.dumps(out))
