"""``evidence export parameters`` and ``evidence release``."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..config import Settings, load_settings
from ..db.session import make_engine
from ..outputs import describe, write_atomic
from ..services.parameters import DEFAULT_METHOD, DEFAULT_TEST, Choice, Source, load_current
from ..stats.pooled import DEFAULT_RHO
from ..stats.rma import METHODS, TESTS
from . import release as releases
from .document import FORMATS, document, render


def current_source(settings: Settings) -> Source:
    """The built database's parameters, or a ClickException saying to build first."""
    engine = make_engine(settings.database_url, readonly=True)
    try:
        with Session(engine) as session:
            source = load_current(session)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot read the database at {settings.database_url} "
                                   f"({exc.__class__.__name__}); run `evidence build` first") from None
    finally:
        engine.dispose()
    if source is None:
        raise click.ClickException("the database holds no build; run `evidence build` first")
    return source


@click.group("export")
def export_group():
    """Export data for calculators and spreadsheets."""


@export_group.command("parameters")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="json (with per-study rows), csv (UTF-8 with BOM) or xlsx (with a column sheet).")
@click.option("--method", type=click.Choice(METHODS), default=DEFAULT_METHOD, show_default=True,
              help="tau² estimator; anything but REML is pooled again from the stored study rows.")
@click.option("--test", type=click.Choice(TESTS), default=DEFAULT_TEST, show_default=True,
              help="z (normal) or knha (Knapp-Hartung) tests and intervals.")
@click.option("--rho", type=click.FloatRange(0, 1, max_open=True), default=DEFAULT_RHO, show_default=True,
              help="Within-study correlation of dependent effect sizes (che-rve parameters); "
                   "anything but the default is pooled again from the stored study rows.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="File to write (default: standard output).")
def export_parameters(fmt, method, test, rho, output):
    """Every pooled default parameter, in the same form as /api/v1/parameters.<format>."""
    doc = document(current_source(load_settings()), Choice(method, test, rho=rho))
    body = render(doc, fmt).body
    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    try:
        write_atomic(output, body)  # a temporary file beside it, then a rename: never a truncated export
    except OSError as exc:
        raise click.ClickException(describe(exc, output)) from None
    click.echo(f"Wrote {len(doc['parameters'])} parameters (dataset {doc['dataset_version']}) to {output}",
               err=True)


@click.command("release")
@click.option("--name", help="Folder name of the release (default: <date>-<dataset_version[:8]>).")
def release_command(name):
    """Write an immutable snapshot of the parameters (json, csv, xlsx, manifest, changelog)."""
    settings = load_settings()
    source = current_source(settings)
    try:
        made = releases.write(settings.releases_dir, source, name)
    except releases.ReleaseError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # written into a temporary folder, removed: name the releases folder
        raise click.ClickException(describe(exc, settings.releases_dir)) from None
    m = made.manifest
    click.echo(f"Released {made.name}: dataset {m['dataset_version']}, {m['parameters']} parameters"
               f"{', previous ' + m['previous'] if m['previous'] else ''} → {made.path}")
    for fname, meta in m["files"].items():
        click.echo(f"  {fname}  sha256 {meta['sha256']}")
    same = [r.name for r in releases.releases(settings.releases_dir)
            if r.dataset_version == m["dataset_version"] and r.name != made.name]
    if same:
        click.echo(f"Note: the same dataset was already released as {', '.join(same)}.", err=True)
