"""A study as read from an import file, before it is matched and written."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Draft:
    record: dict  # citation, provenance, design and effects, in the record format, without an id
    path: str  # the import file, as shown in messages
    where: str  # "row 7" or "line 12": where the study starts in the file
    name: str  # how the file names the study ("Guerra (1990)", an entry key)
    # record field path ("effects.0.data.ai") -> (where, column or field in the file)
    locations: dict[str, tuple[str, str]] = field(default_factory=dict)

    def locate(self, path: str) -> tuple[str, str]:
        """Where in the import file a record field came from: (row or line, column or field)."""
        probe = path
        while probe:
            if probe in self.locations:
                where, column = self.locations[probe]
                return where, column or path
            probe = probe.rpartition(".")[0]
        return self.where, path
