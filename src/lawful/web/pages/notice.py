"""The privacy notice page of the privacy center: generated from the data map by the reports
library (`lawful notice` writes the same text), served by the app, which sits above both."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lawful.http.auth import platform_of
from lawful.http.templating import render
from lawful.reports.notice import Notice, build_notice

router = APIRouter(include_in_schema=False)


@router.get("/privacy/notice", response_class=HTMLResponse)
def privacy_notice(request: Request) -> HTMLResponse:
    """The notice generated from the data map, built once per app."""
    return render(request, "privacy/notice.html.j2", {"notice": _notice(request)})


def _notice(request: Request) -> Notice:
    cached: Notice | None = getattr(request.app.state, "notice", None)
    if cached is None:
        cached = request.app.state.notice = build_notice(platform_of(request).datamap)
    return cached
