"""The FastAPI application: `create_app(settings)` builds it; `lawful serve` runs it.

Routers are listed in `ROUTERS` as "module:attribute" strings, imported and included when
the app is created: a domain adds its router with one line. Long-running helpers (the
in-process job runner, schedulers) are listed in `SERVICES` as "module:attribute" of a
function `(platform) -> context manager`, entered when the app starts and left when it stops.
A console page adds its menu entry to `ADMIN_MENU`.
Nothing here runs at import: engines, keys and the data map are opened in the lifespan.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from swagger_ui_bundle import swagger_ui_path

from lawful import __version__
from lawful.auth.roles import ADMINS, REQUEST_HANDLERS
from lawful.config import Settings, load_settings
from lawful.datamap.loader import LoadedMap
from lawful.web.access_log import redact_access_log
from lawful.web.errors import install_error_handlers
from lawful.web.forms import FormEncodingMiddleware
from lawful.web.menu import MenuEntry
from lawful.web.platform import Platform, open_platform
from lawful.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware
from lawful.web.templating import build_templates
from lawful.worker.health import BrokerProbe, job_health

log = logging.getLogger("lawful.web")
ROUTERS: tuple[str, ...] = (
    "lawful.web.pages.privacy:router",
    "lawful.web.pages.privacy_delivery:router",
    "lawful.web.pages.session:router",
    "lawful.web.pages.admin_entry:router",  # before admin_requests: /admin/requests/new
    "lawful.web.pages.admin_requests:router",
    "lawful.web.pages.admin_audit:router",
    "lawful.web.pages.admin_tokens:router",
    "lawful.web.pages.admin_outbox:router",
    "lawful.web.api_audit:router",
    "lawful.requests.api:router",
    "lawful.consent.api:router",
    "lawful.retention.pages:router",
    "lawful.breach.pages:router",
    "lawful.reports.pages:router",
    "lawful.consent.pages:router",
    "lawful.consent.admin:router",
    "lawful.discovery.pages:router",
    "lawful.worker.pages:router",
    "lawful.worker.api:router",
    "lawful.interop.drp.api:router",
    "lawful.interop.drp.pages:router",
    "lawful.interop.opendsr.api:router",
    "lawful.interop.opendsr.pages:router",
)
# ASGI middlewares that answer a hot route's common case below the framework and hand every
# other request on (see `lawful.consent.check_path`).
FAST_PATHS: tuple[str, ...] = ("lawful.consent.check_path:ConsentCheckPath",)
# Bodies larger than the default (`MAX_BODY_BYTES`, an ID document) or smaller, per path.
FILTER_PATH = "/api/v1/consent/filter"
BODY_LIMITS: dict[str, int] = {
    "/api/v1/consent/check": 4096,  # three short fields
    "/api/v1/consent/history": 4096,
    "/api/v1/consent/events": 32_768,  # one person's choice and its evidence
}
SERVICES: tuple[str, ...] = ("lawful.worker.jobs:worker_service",)
ADMIN_MENU: tuple[MenuEntry, ...] = (
    MenuEntry("dashboard", "Dashboard", "/admin/dashboard"),
    MenuEntry("requests", "Requests", "/admin/requests"),
    MenuEntry("new", "New request", "/admin/requests/new", REQUEST_HANDLERS),
    MenuEntry("holds", "Legal holds", "/admin/holds"),
    MenuEntry("breaches", "Breaches", "/admin/breaches"),
    MenuEntry("consent", "Consent", "/admin/consent"),
    MenuEntry("discovery", "Discovery", "/admin/discovery"),
    MenuEntry("audit", "Audit trail", "/admin/audit"),
    MenuEntry("tokens", "API tokens", "/admin/tokens", ADMINS),
    MenuEntry("agents", "Authorized agents", "/admin/agents", ADMINS),
    MenuEntry("opendsr", "OpenDSR", "/admin/opendsr", ADMINS),
    MenuEntry("outbox", "Outbox", "/admin/outbox"),
    MenuEntry("jobs", "Jobs", "/admin/jobs"),
    MenuEntry("status", "Status", "/admin/status"),
)

DESCRIPTION = """\
Lawful's JSON API: rights requests, consent and the audit trail of a self-hosted
privacy-operations platform.

**Authentication.** Send an API token as `Authorization: Bearer <token>`. Administrators make
tokens in the admin console (*API tokens*); each carries scopes (such as `requests:read`) and
an expiry. Public endpoints (a person making a request) need no token and are rate-limited.

**Errors.** Every error is `{"error": {"code": "...", "message": "...", "field": "..."}}` with
an HTTP status: 401 without a valid token, 403 when its scopes do not allow the call, 404, 409
when the request's state does not allow the action, 422 for invalid input (`field` names the
input at fault), 429 when rate-limited (see `Retry-After`).
"""
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # Swagger UI sets inline styles
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def load_object(reference: str) -> Any:
    """Import "package.module:attribute"."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def create_app(settings: Settings | None = None, *, loaded: LoadedMap | None = None) -> FastAPI:
    """The app, ready to serve once its lifespan has started (uvicorn and TestClient do it).
    `loaded`: the data map, when the caller has read it already (else `settings.map_path`)."""
    settings = settings or load_settings()
    redact_access_log()  # however the app is served: `lawful serve`, uvicorn, gunicorn
    app = FastAPI(
        title="Lawful",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(settings, loaded),
        docs_url=None,
        redoc_url=None,
    )
    routers = [load_object(reference) for reference in ROUTERS]
    for router in routers:
        app.include_router(router)
    app.include_router(_system_router())
    app.state.templates = build_templates(_packages(ROUTERS), menu=ADMIN_MENU)
    # Swagger UI ships inside a Python package, so /docs works on a machine with no internet.
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(packages=[("lawful.web", "static")]), name="static")
    # Innermost: forms are checked for UTF-8 once their size is known to be bounded.
    app.add_middleware(FormEncodingMiddleware)
    # Its refusal is rendered as an error. Audiences to filter may be large; a choice or a
    # consent check is small.
    audience = settings.audience_max_megabytes * 1024 * 1024
    app.add_middleware(BodyLimitMiddleware, limits={**BODY_LIMITS, FILTER_PATH: audience})
    install_error_handlers(app)
    for reference in FAST_PATHS:  # inside the security headers, outside the error handling
        app.add_middleware(load_object(reference))
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: every answer gets the headers
    return app


def _packages(references: Iterable[str]) -> list[str]:
    """The domain package of each router ("lawful.consent.pages:router" → "lawful.consent")."""
    return [".".join(ref.partition(":")[0].split(".")[:2]) for ref in references]


def _lifespan(
    settings: Settings, loaded: LoadedMap | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with open_platform(settings, loaded=loaded) as platform, ExitStack() as services:
            app.state.platform = platform
            if platform.key_generated_at is not None:
                log.warning(
                    "generated a new encryption key in %s (mode 0600): back it up, or set "
                    "LAWFUL_ENCRYPTION_KEY; without it, stored requests cannot be read",
                    platform.key_generated_at,
                )
            for reference in SERVICES:
                services.enter_context(load_object(reference)(platform))
            yield

    return lifespan


def _system_router() -> APIRouter:
    router = APIRouter()
    broker = BrokerProbe()

    @router.get("/healthz", tags=["system"], summary="Liveness, store, jobs and broker check")
    def healthz(request: Request) -> JSONResponse:
        """Public and cheap: `jobs` is `failed` while a job waits for staff, `broker` is `ok`,
        `unreachable` or `in-process`; no names or errors (`GET /api/v1/status` has them)."""
        platform: Platform = request.app.state.platform
        try:
            with platform.sessions() as session:
                jobs = job_health(session)
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable", "store": "unreachable"}, 503)
        summary = {"jobs": jobs, "broker": broker.status(platform.settings.broker_url)}
        return JSONResponse({"status": "ok", "version": __version__, **summary})

    @router.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/privacy", status_code=303)

    @router.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        templates = request.app.state.templates
        page = templates.get_template("docs.html.j2").render(openapi_url="/openapi.json")
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_POLICY})

    return router
