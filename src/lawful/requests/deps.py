"""The requests workflow's FastAPI dependency: its context, opened with the platform by the
composition root (`lawful.platform`) and read here, so the HTTP kit names no domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from lawful.http.auth import platform_of
from lawful.requests.context import RequestsContext


def get_requests_context(request: Request) -> RequestsContext:
    return platform_of(request).context(RequestsContext)


RequestsCtx = Annotated[RequestsContext, Depends(get_requests_context)]
