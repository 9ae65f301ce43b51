"""Jinja2 environments for the generated documents: HTML escaped, Markdown escaped."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

# Characters that Markdown would read as syntax inside a line of text (emphasis, code, links,
# HTML, GFM tables and strikethrough); escaped with a backslash (CommonMark §2.4).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def markdown_escape(value: object) -> str:
    """A value as literal Markdown text on one line: syntax characters escaped.

    Like HTML autoescaping, a value marked safe (`| safe`, e.g. a macro's output) is kept.
    """
    if isinstance(value, Markup):
        return str(value)
    text = re.sub(r"\s*\n\s*", " ", str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@cache
def html_environment() -> Environment:
    """Templates `*.html.j2`; every `{{ value }}` is HTML-escaped (autoescape)."""
    return Environment(
        loader=PackageLoader("lawful.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def markdown_environment() -> Environment:
    """Templates `*.md.j2`; every `{{ value }}` is Markdown-escaped unless marked `| safe`."""
    return Environment(
        loader=PackageLoader("lawful.reports", "templates"),
        autoescape=False,  # noqa: S701 — Markdown, not HTML: `finalize` escapes every value
        finalize=markdown_escape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> str:
    """Render a packaged template with the environment its name calls for."""
    markdown = template.endswith(".md.j2")
    environment = markdown_environment() if markdown else html_environment()
    return environment.get_template(template).render(**context)


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
