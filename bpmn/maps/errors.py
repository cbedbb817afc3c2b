"""Errors of the map converter: each problem names the line of the map and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BpmnError


@dataclass(frozen=True)
class MapProblem:
    """One unclear or wrong line of a map: where it is, what is wrong, what to write instead."""

    line: int | None
    message: str
    suggestion: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "suggestion": self.suggestion}

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        hint = f" ({self.suggestion})" if self.suggestion else ""
        return f"{where}{self.message}{hint}"


class MapError(BpmnError):
    """Base of the errors the map converter raises."""


class MapInvalid(MapError):
    """No model can be built from the map; `problems` says which lines to fix, and how."""

    def __init__(self, problems: list[MapProblem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "the map cannot be converted"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)
