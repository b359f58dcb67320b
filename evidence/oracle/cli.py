"""``evidence verify``: refit every stored parameter in R and say whether each number agrees."""

from __future__ import annotations

import sys

import click

from ..config import load_settings
from ..export.cli import current_source
from .runner import OracleError, r_available
from .verify import CHE_RTOL, RMA_RTOL, verify

INSTALL_R = ("R with metafor and clubSandwich is needed (Debian: apt-get install r-base-core r-cran-metafor "
             "r-cran-clubsandwich; `make test` installs them)")


@click.command("verify")
def verify_command():
    """Prove the build's numbers: fit every stored parameter again in R (metafor, clubSandwich).

    Compares every pooled field, the rho-sensitivity fits and the small-study
    tests with R's; exit status 1 if any differs or R cannot be run.
    """
    source = current_source(load_settings())
    if not r_available():
        raise click.ClickException(INSTALL_R)
    try:
        report = verify(source.parameters)
    except OracleError as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.mismatches:
        click.echo(line, err=True)
    if not report.ok:
        click.echo(f"{len(report.mismatches)} difference(s) from R in dataset {source.dataset_version}.", err=True)
        sys.exit(1)
    click.echo(f"Dataset {source.dataset_version}: every number equals R's (metafor 3.8-1, clubSandwich) "
               f"to {RMA_RTOL:g} (rma) and {CHE_RTOL:g} (che-rve) relative: {report.summary()}.")
