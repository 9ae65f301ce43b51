"""Server-rendered pages: one Jinja2 environment (HTML-escaped, strict about undefined
names), one for the whole app: the kit's layouts (`lawful.http`: `base.html.j2`, `admin/base.html.j2`,
`error.html.j2`, `_forms.html.j2`), then the `templates/` folder of each package that has one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from lawful.auth.names import STAFF_PREFIX, describe_actor
from lawful.auth.roles import ROLE_TITLES
from lawful.formats import DEFAULT_ZONE
from lawful.http.auth import csrf_token, platform_of, set_visitor_cookie
from lawful.http.menu import MenuEntry
from lawful.http.sentences import job_title
from lawful.jinja import environment, package_templates
from lawful.law.jurisdictions import law_name


def build_templates(
    packages: Iterable[str], *, menu: Sequence[MenuEntry] = (), zone: str = DEFAULT_ZONE
) -> Jinja2Templates:
    """Templates of `lawful.http` first, then of each package in `packages` that has a
    `templates/` folder (a domain keeps its pages in `templates/<domain>/…`). Every moment
    is shown in `zone`, the installation's (`LAWFUL_TIME_ZONE`), by the filters of
    `lawful.formats` that every environment has."""
    loaders: list[BaseLoader] = [package_templates("lawful.http")]
    for package in dict.fromkeys(packages):
        if package != "lawful.http" and _has_templates(package):
            loaders.append(package_templates(package))
    pages = environment(ChoiceLoader(loaders), keep_trailing_newline=False)
    pages.globals["time_zone"] = zone
    pages.globals["actor_name"] = actor_name
    pages.globals["job_title"] = job_title
    pages.filters["law"] = law_name  # "gdpr" → "GDPR (EU)"
    pages.globals["role_titles"] = ROLE_TITLES
    pages.globals["admin_menu"] = tuple(menu)
    return Jinja2Templates(env=pages)


def _has_templates(package: str) -> bool:
    try:
        return (resources.files(package) / "templates").is_dir()
    except ModuleNotFoundError:
        return False


@pass_context
def actor_name(context: Context, actor: str | None) -> str:
    """An actor in words: the page's `actor_names` (staff by name, `lawful.auth.names`)."""
    if not actor:
        return "—"
    names: Mapping[str, str] = context.get("actor_names") or {}
    if actor in names:
        return names[actor]
    return "a staff member" if actor.startswith(STAFF_PREFIX) else describe_actor(actor, {})


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with what every layout needs (the organisation, the signed-in staff
    member, the CSRF token for its forms), and give a new visitor their cookie."""
    platform = platform_of(request)
    organization = platform.datamap.organization
    page = {
        "organization": organization.trading_name or organization.name,
        "staff": getattr(request.state, "staff", None),
        "csrf_token": csrf_token(request),
        "active": "",  # which admin menu entry is current
        **(context or {}),
    }
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    set_visitor_cookie(response, request)
    return response
