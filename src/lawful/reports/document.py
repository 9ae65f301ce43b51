"""A small document model for generated text: sections of paragraphs, lists and tables.

The words are written once, in Python, and rendered by two templates (HTML and Markdown)
that only know these blocks, so both versions always say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Text:
    """A run of text, optionally a link or set in bold."""

    text: str
    href: str | None = None
    strong: bool = False


Inline = str | Text


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[Text, ...]
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class Bullets:
    items: tuple[Paragraph, ...]
    kind: Literal["bullets"] = "bullets"


@dataclass(frozen=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Paragraph, ...], ...]
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class Subheading:
    text: str
    kind: Literal["subheading"] = "subheading"


Block = Paragraph | Bullets | Table | Subheading


@dataclass(frozen=True)
class Section:
    """A titled part of a document with a stable id (the HTML anchor and Markdown slug)."""

    id: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def para(*parts: Inline) -> Paragraph:
    """A paragraph from strings and `Text` runs; empty strings are dropped."""
    return Paragraph(tuple(p if isinstance(p, Text) else Text(p) for p in parts if p))


def bold(text: str) -> Text:
    return Text(text, strong=True)


# Link schemes a generated document may carry; anything else (e.g. `javascript:`) stays text.
_SAFE_LINK = re.compile(r"^(https?://|mailto:|tel:|#)", re.IGNORECASE)


def link(text: str, href: str) -> Text:
    """A link, or plain text when `href` is not a web, email, phone or in-page address."""
    return Text(text, href=href if _SAFE_LINK.match(href) else None)


def bullets(items: Iterable[Paragraph | str]) -> Bullets:
    return Bullets(tuple(item if isinstance(item, Paragraph) else para(item) for item in items))


def table(caption: str, headers: Iterable[str], rows: Iterable[Iterable[Paragraph | str]]) -> Table:
    return Table(
        caption=caption,
        headers=tuple(headers),
        rows=tuple(
            tuple(cell if isinstance(cell, Paragraph) else para(cell) for cell in row)
            for row in rows
        ),
    )


def slug(title: str) -> str:
    """The anchor GitHub-style Markdown renderers give a heading: lower case, dashes."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -")
    return kept.replace(" ", "-")
