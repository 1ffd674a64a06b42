"""Errors the generator reports to its user: located, never a bare traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, and where."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        location = f" at {self.path}" if self.path else ""
        return f"{where}{location}: {self.message}"


class SpecError(Exception):
    """The inputs cannot be turned into a model; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
