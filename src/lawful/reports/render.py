"""Jinja2 environments for the generated documents: HTML escaped, Markdown escaped (both
built by `lawful.jinja`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from lawful.jinja import environment, package_templates


@cache
def html_environment() -> Environment:
    """Templates `*.html.j2`; every `{{ value }}` is HTML-escaped (autoescape)."""
    return environment(package_templates("lawful.reports"))


@cache
def markdown_environment() -> Environment:
    """Templates `*.md.j2`; every `{{ value }}` is Markdown-escaped unless marked `| safe`."""
    return environment(package_templates("lawful.reports"), markdown=True)


def render(template: str, **context: Any) -> str:
    """Render a packaged template with the environment its name calls for."""
    markdown = template.endswith(".md.j2")
    environment = markdown_environment() if markdown else html_environment()
    return environment.get_template(template).render(**context)


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
