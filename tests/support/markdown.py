"""The docs tests' reading of Markdown: a name counts as documented when it stands in the
right column of a table under the right heading, not when it appears anywhere in backticks."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6}) (.+)$")
_NAME = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]

    def cells(self, column: str) -> list[str]:
        """The cells of the column whose header is `column` (backticks aside)."""
        index = [cell.strip("`") for cell in self.header].index(column)
        return [cells[index] for cells in self.rows if index < len(cells)]


def section(doc: str, title: str) -> str:
    """The text under the heading whose title starts with `title`, up to the next heading
    of the same or a higher level; fails if there is no such heading."""
    lines = doc.splitlines()
    for start, line in enumerate(lines):
        found = _HEADING.match(line)
        if found and found.group(2).startswith(title):
            level = len(found.group(1))
            end = next(
                (
                    i
                    for i in range(start + 1, len(lines))
                    if (m := _HEADING.match(lines[i])) and len(m.group(1)) <= level
                ),
                len(lines),
            )
            return "\n".join(lines[start + 1 : end])
    raise AssertionError(f"no heading starting with {title!r}")


def tables(text: str) -> list[Table]:
    """Every pipe table in `text`: its header row and its body rows, cells stripped."""
    lines = text.splitlines()
    found: list[Table] = []
    for i in range(1, len(lines)):
        if re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i].strip()):
            body = []
            for line in lines[i + 1 :]:
                if not line.startswith("|"):
                    break
                body.append(_cells(line))
            found.append(Table(_cells(lines[i - 1]), body))
    return found


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def names_in_column(doc: str, *, under: str, column: str) -> set[str]:
    """The backticked names in column `column` of every table under heading `under`; fails
    if no table there has that column."""
    matching = [
        t for t in tables(section(doc, under)) if column in [c.strip("`") for c in t.header]
    ]
    assert matching, f"no table with a {column!r} column under {under!r}"
    return {name for t in matching for cell in t.cells(column) for name in _NAME.findall(cell)}


def row(doc: str, *, under: str, column: str, key: str) -> str:
    """The row (as text) whose `column` cell names `key`, in a table under `under`."""
    for table in tables(section(doc, under)):
        header = [cell.strip("`") for cell in table.header]
        if column in header:
            index = header.index(column)
            for cells in table.rows:
                if index < len(cells) and f"`{key}`" in cells[index]:
                    return " | ".join(cells)
    raise AssertionError(f"no row for `{key}` under {under!r}")
