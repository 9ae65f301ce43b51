"""The FastAPI application: `create_app(settings)` builds it; `lawful serve` runs it.

Each domain declares what it adds in its `routes.py` (`lawful.http.contribution.Contribution`:
routers, admin-menu entries, services entered while the app runs, fast paths); the app imports
those modules in `CONTRIBUTIONS` and mounts them: a new domain is one line there. The platform
is opened by the composition root (`lawful.platform`) in the lifespan, never at import.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from swagger_ui_bundle import swagger_ui_path

from lawful import __version__
from lawful.audit import routes as audit
from lawful.breach import routes as breach
from lawful.complaints import routes as complaints
from lawful.config import Settings, load_settings
from lawful.consent import routes as consent
from lawful.datamap.loader import LoadedMap
from lawful.directives import routes as directives
from lawful.discovery import routes as discovery
from lawful.dpia import routes as dpia
from lawful.formats import display_zone
from lawful.http.access_log import redact_access_log
from lawful.http.auth import platform_of
from lawful.http.contribution import Contribution
from lawful.http.errors import install_error_handlers
from lawful.http.forms import FormEncodingMiddleware
from lawful.http.menu import MenuEntry, arrange
from lawful.http.security import BodyLimitMiddleware, SecurityHeadersMiddleware
from lawful.http.templating import build_templates
from lawful.interop import routes as interop
from lawful.markers import routes as markers
from lawful.platform import open_platform
from lawful.processors import routes as processors
from lawful.requests import routes as requests
from lawful.retention import routes as retention
from lawful.training import routes as training
from lawful.web import routes as shell
from lawful.worker import routes as worker
from lawful.worker.health import BrokerProbe, job_health

log = logging.getLogger("lawful.web")
# Every domain's contribution, in the order its routers are included (a new domain: one line).
CONTRIBUTIONS: tuple[Contribution, ...] = (
    audit.contribution,
    requests.contribution,
    consent.contribution,
    retention.contribution,
    breach.contribution,
    complaints.contribution,
    directives.contribution,
    dpia.contribution,
    processors.contribution,
    training.contribution,
    discovery.contribution,
    markers.contribution,
    worker.contribution,
    interop.contribution,
    shell.contribution,
)
# Bodies larger than the default (`MAX_BODY_BYTES`, an ID document) or smaller, per path.
FILTER_PATH = "/api/v1/consent/filter"
BODY_LIMITS: dict[str, int] = {
    "/api/v1/consent/check": 4096,  # three short fields
    "/api/v1/consent/history": 4096,
    "/api/v1/consent/events": 32_768,  # one person's choice and its evidence
}
ADMIN_MENU: tuple[MenuEntry, ...] = arrange(e for c in CONTRIBUTIONS for e in c.menu)

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
    for contribution in CONTRIBUTIONS:
        for router in contribution.routers:
            app.include_router(router)
    app.include_router(_system_router())
    packages = [contribution.package for contribution in CONTRIBUTIONS]
    app.state.sentences = tuple(s for c in CONTRIBUTIONS for s in c.sentences)
    zone = str(display_zone(settings))  # checked before anything starts
    app.state.templates = build_templates(packages, menu=ADMIN_MENU, zone=zone)
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
    for contribution in CONTRIBUTIONS:  # inside the security headers, outside error handling
        for fast_path in contribution.fast_paths:
            app.add_middleware(fast_path)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: every answer gets the headers
    return app


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
            for contribution in CONTRIBUTIONS:
                for service in contribution.services:
                    services.enter_context(service(platform))
            yield

    return lifespan


def _system_router() -> APIRouter:
    router = APIRouter()
    broker = BrokerProbe()

    @router.get("/healthz", tags=["system"], summary="Liveness, store, jobs and broker check")
    def healthz(request: Request) -> JSONResponse:
        """Public and cheap: `jobs` is `failed` while a job waits for staff, `broker` is `ok`,
        `unreachable` or `in-process`; no names or errors (`GET /api/v1/status` has them)."""
        platform = platform_of(request)
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
