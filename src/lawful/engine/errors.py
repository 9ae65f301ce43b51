"""Errors the engine raises: each names the system and dataset, and says what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineProblem:
    """One reason a run cannot go ahead (or a dataset failed), for a person to act on."""

    message: str
    hint: str = ""
    system: str = ""
    dataset: str = ""

    def where(self) -> str:
        parts = [
            f"system `{self.system}`" if self.system else "",
            f"dataset `{self.dataset}`" if self.dataset else "",
        ]
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        text = f"{self.where()}: {self.message}" if self.where() else self.message
        return f"{text} — {self.hint}" if self.hint else text


class EngineError(Exception):
    """A run was refused before changing anything; `problems` lists every reason found."""

    def __init__(self, problems: list[EngineProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class IdentityError(EngineError):
    """An identity value is malformed or of a type no dataset declares."""
