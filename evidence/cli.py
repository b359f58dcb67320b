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
