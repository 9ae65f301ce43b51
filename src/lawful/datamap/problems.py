"""Problems found in a data map, each pointing at `file:line:col` with a code and a hint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DataPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Position:
    """A place in a YAML file; line and column count from 1, as editors show them."""

    file: Path
    line: int
    col: int

    def __str__(self) -> str:
        return f"{_display(self.file)}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    hint: str
    position: Position | None = None

    def __str__(self) -> str:
        where = str(self.position) if self.position else "<data map>"
        return f"{where}: {self.code} {self.message} — {self.hint}"

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.position is None:
            return ("", 0, 0, self.code)
        return (str(self.position.file), self.position.line, self.position.col, self.code)


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of the merged data map was written."""

    values: dict[DataPath, Position] = field(default_factory=dict)
    keys: dict[DataPath, Position] = field(default_factory=dict)
    _containers: set[DataPath] | None = field(default=None, repr=False, compare=False)

    def locate(self, path: DataPath) -> Position | None:
        """The position of the value at `path`, or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return None

    def locate_key(self, path: DataPath) -> Position | None:
        """The position of the key that names `path` (for unknown or misplaced keys)."""
        return self.keys.get(path) or self.locate(path)

    def locate_entry(self, path: DataPath) -> Position | None:
        """Where to point for `path`: its key when it holds a block (a dataset, a purpose),
        its value when it is a scalar (a category name, a country code)."""
        if path in self.keys and self._is_container(path):
            return self.keys[path]
        return self.locate(path)

    def _is_container(self, path: DataPath) -> bool:
        if self._containers is None:
            self._containers = {p[:-1] for p in self.values if p}
        return path in self._containers

    def has(self, path: DataPath) -> bool:
        return path in self.values


class DataMapError(Exception):
    """The data map could not be loaded; `problems` says every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _display(path: Path) -> str:
    """Relative to the working directory when under it, so lines are short and clickable."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Finding:
    """A problem before it is given a position: code, where (data path), what, how to fix."""

    code: str
    at: DataPath
    message: str
    hint: str
