"""Import problems: every one names the file, the row or line, and the column or field.

They print as ``studies.csv:row 7: ai: 'ten' is not a number`` — rows as a
spreadsheet numbers them (the header is row 1), lines as an editor numbers them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportProblem:
    path: str  # the file as the user named it
    where: str  # "row 7", "line 12", or "" for the whole file
    field: str  # a column, a BibTeX/RIS field, a record field or a command-line option
    message: str

    def __str__(self) -> str:
        head = f"{self.path}:{self.where}" if self.where else self.path
        return f"{head}: {self.field}: {self.message}" if self.field else f"{head}: {self.message}"



def in_file_order(problems: list[ImportProblem]) -> list[ImportProblem]:
    """Problems without repeats, file by file: the whole-file ones first, then by row or line."""

    def position(problem: ImportProblem) -> int:
        number = problem.where.rpartition(" ")[2]
        return int(number) if number.isdigit() else 0

    return sorted(dict.fromkeys(problems), key=lambda p: (p.path, position(p)))
