"""``evidence export parameters`` and ``evidence release``."""

from __future__ import annotations

import shutil
import sys
import tempfile

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..config import Settings, load_settings
from ..db.session import make_engine
from ..outputs import atomic_output, describe
from ..services.parameters import DEFAULT_METHOD, DEFAULT_TEST, Choice, Source, load_current
from ..stats.pooled import DEFAULT_RHO
from ..stats.rma import METHODS, TESTS
from . import release as releases
from .document import FORMATS, write_json
from .stream import stream_current
from .tabular import write_csv
from .xlsx import write_xlsx

WRITERS = {"json": write_json, "csv": lambda _header, parameters, out: write_csv(parameters, out),
           "xlsx": write_xlsx}


def current_source(settings: Settings) -> Source:
    """The built database's parameters, or a ClickException saying to build first."""
    engine = make_engine(settings.database_url, readonly=True)
    try:
        with Session(engine) as session:
            source = load_current(session)
    except SQLAlchemyError as exc:
        raise _not_built(settings, exc) from None
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
    """Every pooled default parameter, in the same form as /api/v1/parameters.<format>.

    Streamed: parameters are read from the database a few hundred at a time and written as
    they come, so memory does not grow with the corpus (the file is still written whole or
    not at all: a temporary file beside it, renamed at the end).
    """
    settings = load_settings()
    choice = Choice(method, test, rho=rho)
    if output == "-":
        sys.stdout.flush()
        if fmt == "xlsx":  # a zip archive is written with seeks: made in a temporary file, then copied
            with tempfile.TemporaryFile() as spool:
                _export(settings, fmt, choice, spool)
                spool.seek(0)
                shutil.copyfileobj(spool, sys.stdout.buffer)
        else:
            _export(settings, fmt, choice, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    try:
        with atomic_output(output) as out:  # never a truncated export
            count, version = _export(settings, fmt, choice, out)
    except OSError as exc:
        raise click.ClickException(describe(exc, output)) from None
    click.echo(f"Wrote {count} parameters (dataset {version}) to {output}", err=True)


def _export(settings: Settings, fmt: str, choice: Choice, out) -> tuple[int, str]:
    """Write the export into ``out``; (how many parameters, the dataset version)."""
    engine = make_engine(settings.database_url, readonly=True)
    try:
        with Session(engine) as session:
            try:
                streamed = stream_current(session, choice)
                if streamed is None:
                    raise click.ClickException("the database holds no build; run `evidence build` first")
                count = WRITERS[fmt](streamed.header, streamed.parameters, out)
            except SQLAlchemyError as exc:
                raise _not_built(settings, exc) from None
    finally:
        engine.dispose()
    return count, streamed.header["dataset_version"]


def _not_built(settings: Settings, exc: Exception) -> click.ClickException:
    return click.ClickException(f"cannot read the database at {settings.database_url} "
                                f"({exc.__class__.__name__}); run `evidence build` first")


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
