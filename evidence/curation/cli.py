"""``evidence curator add EMAIL``: make a curator account (the password is prompted, or read from stdin)."""

from __future__ import annotations

import sys

import click

from ..config import load_settings
from . import accounts
from .store import engine_for


@click.group("curator")
def curator_group():
    """Curator accounts for the review queue at /curate."""


@curator_group.command("add")
@click.argument("email")
def add_command(email):
    """Add a curator; the password is asked for twice (or read from standard input when it is not a terminal)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    settings = load_settings()
    try:
        with engine_for(settings).begin() as conn:
            accounts.add_curator(conn, email, password)
    except (accounts.AccountError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Curator {email.strip().lower()} added to {settings.curation_database_url}.")
