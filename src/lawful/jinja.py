"""The one way Lawful builds a Jinja environment, for pages (`lawful.http.templating`), mail
(`lawful.requests.mail`), access packages (`lawful.engine.package`), breach drafts and the
documents of `lawful.reports`: HTML templates (`*.html.j2`) are HTML-escaped, plain-text ones
(`*.txt.j2`) are not, and a Markdown environment escapes every value as literal Markdown.
Strict about undefined names unless told otherwise. Every environment has the same filters
for what people read (`lawful.formats`): `when` (a moment in the installation's zone, set as
the global `time_zone`), `day`, `number`, `money`, `country`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, Undefined, pass_context
from jinja2 import select_autoescape as _select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from lawful import formats

# Characters that Markdown would read as syntax inside a line of text (emphasis, code, links,
# HTML, GFM tables and strikethrough); escaped with a backslash (CommonMark §2.4).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
# Every template is HTML-escaped but plain text and Markdown (escaped by `finalize`).
_AUTOESCAPE = _select_autoescape(
    enabled_extensions=("html.j2", "html"), disabled_extensions=("txt.j2", "md.j2"), default=True
)


def markdown_escape(value: object) -> str:
    """A value as literal Markdown text on one line: syntax characters escaped.

    Like HTML autoescaping, a value marked safe (`| safe`, e.g. a macro's output) is kept.
    """
    if isinstance(value, Markup):
        return str(value)
    text = re.sub(r"\s*\n\s*", " ", str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def package_templates(package: str, folder: str = "templates") -> PackageLoader:
    """The templates shipped in `package`'s `folder`."""
    return PackageLoader(package, folder)


def environment(
    loader: BaseLoader,
    *,
    markdown: bool = False,
    strict: bool = True,
    keep_trailing_newline: bool = True,
) -> Environment:
    """An environment over `loader`: HTML-escaped (or, with `markdown`, every value escaped as
    literal Markdown), blocks trimmed; `strict` makes an undefined name an error."""
    env = Environment(
        loader=loader,
        autoescape=False if markdown else _AUTOESCAPE,  # noqa: S701 — `finalize` escapes
        finalize=markdown_escape if markdown else None,
        undefined=StrictUndefined if strict else Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    env.globals["time_zone"] = formats.DEFAULT_ZONE
    env.filters.update(
        when=_when,
        day=formats.day,
        number=formats.number,
        money=formats.money,
        country=formats.country,
    )
    return env


@pass_context
def _when(context: Context, value: datetime | None) -> str:
    """A moment in the zone of the page or mail (`time_zone`: the installation's)."""
    zone: Any = context.get("time_zone") or formats.DEFAULT_ZONE
    return formats.moment(value, zone)
