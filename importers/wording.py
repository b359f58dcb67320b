"""How an import's messages tell the reader what to do: with the command line's options, or a web page's controls.

The same plan is made by ``evidence import`` and by a curator's review of a web submission
(:mod:`evidence.curation.submissions`); a curator on the web page has no ``--force`` to give,
so every message that names an action takes its words from a :class:`Wording`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    same_source: str  # what else, besides a DOI, says a draft is an existing study
    force_advice: str  # how to import a near-duplicate as another study anyway
    forced: str  # why a near-duplicate was imported as a new study all the same


COMMAND_LINE = Wording(same_source="the same --source", force_advice="import again with --force", forced="--force")
