"""A study as read from an import file, before it is matched and written."""

from __future__ import annotations

from dataclasses import dataclass, field


class RowLocations:
    """Where each field of a CSV draft came from, light enough to keep for every row of a large file.

    ``layout`` maps a record field path to (slot, column): slot -1 for a command-line option (no row),
    else an index into ``rows``, the draft's row numbers (0 is the study's first row, i the row of
    effect i). Drafts of the same shape share one layout (see :func:`importers.studies.table_to_drafts`),
    so a draft itself holds only its row numbers.
    """

    __slots__ = ("layout", "rows")

    def __init__(self, layout: dict[str, tuple[int, str]], rows: tuple[int, ...]):
        self.layout = layout
        self.rows = rows

    def __contains__(self, path: str) -> bool:
        return path in self.layout

    def __getitem__(self, path: str) -> tuple[str, str]:
        slot, column = self.layout[path]
        return (f"row {self.rows[slot]}" if slot >= 0 else ""), column


@dataclass
class Draft:
    record: dict  # citation, provenance, design and effects, in the record format, without an id
    path: str  # the import file, as shown in messages
    where: str  # "row 7" or "line 12": where the study starts in the file
    name: str  # how the file names the study ("Guerra (1990)", an entry key)
    # record field path ("effects.0.data.ai") -> (where, column or field in the file): a dict or RowLocations
    locations: dict[str, tuple[str, str]] | RowLocations = field(default_factory=dict)

    def locate(self, path: str) -> tuple[str, str]:
        """Where in the import file a record field came from: (row or line, column or field)."""
        probe = path
        while probe:
            if probe in self.locations:
                where, column = self.locations[probe]
                return where, column or path
            probe = probe.rpartition(".")[0]
        return self.where, path
