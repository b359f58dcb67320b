"""The ``evidence`` command. Each subcommand is defined next to the code it drives
and loaded only when used, so ``evidence validate`` does not import the web app."""

from __future__ import annotations

import importlib

import click

#: subcommand -> "module:attribute". ``tests/test_docs.py`` checks each is in the README.
COMMANDS = {
    "validate": "evidence.commands:validate_command",
    "build": "evidence.commands:build_command",
    "stats": "evidence.commands:stats_command",
    "import": "importers.cli:import_group",
    "serve": "evidence.web.cli:serve_command",
    "export": "evidence.export.cli:export_group",
    "release": "evidence.export.cli:release_command",
    "verify": "evidence.oracle.cli:verify_command",
    "curator": "evidence.curation.cli:curator_group",
}


class LazyGroup(click.Group):
    def invoke(self, ctx):
        """A full disk, a read-only folder, a denied permission: one line naming the path, exit status 1."""
        from sqlalchemy.exc import OperationalError

        from .outputs import describe

        try:
            return super().invoke(ctx)
        except OSError as exc:
            raise click.ClickException(describe(exc)) from None
        except OperationalError as exc:
            text = str(exc.orig) if exc.orig is not None else str(exc)
            if "disk is full" in text or "readonly" in text or "read-only" in text or "unable to open" in text:
                raise click.ClickException(f"cannot write the database: {text}; free some space or check the "
                                           "folder's permissions (EVIDENCE_INSTANCE_DIR). "
                                           "Nothing was changed.") from None
            raise

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evidence")
def main():
    """An open effect-evidence knowledge base: what works, for whom, and how much.

    Settings come from EVIDENCE_* environment variables (see the README).
    """
