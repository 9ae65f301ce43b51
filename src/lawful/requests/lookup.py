"""Finding a request: by reference for staff, by reference and status token for the person.
The token is stored twice: as a keyed hash to check it, sealed to put it in later mail."""

from __future__ import annotations

import hmac

from sqlalchemy.orm import Session

from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.errors import RequestNotFoundError
from lawful.requests.models import RightsRequest


def seal_status_token(ctx: RequestsContext, request: RightsRequest, token: str) -> None:
    """Keep the person's status token: hashed to check it, sealed for links in mail."""
    request.status_token_hash = _token_hash(ctx, request, token)
    request.status_token_sealed = ctx.keyring.encrypt(
        token.encode(), context=_token_context(request)
    )


def _token_context(request: RightsRequest) -> str:
    return f"rights_request.status_token:{request.id}"


def status_token(ctx: RequestsContext, request: RightsRequest) -> str:
    """The person's status token, for the links in a mail sent after intake."""
    return ctx.keyring.decrypt(
        request.status_token_sealed, context=_token_context(request)
    ).decode()


def _token_hash(ctx: RequestsContext, request: RightsRequest, token: str) -> str:
    return ctx.keyring.index(f"request-status-token/{request.id}/{token}")


def get_request(session: Session, *, reference: str) -> RightsRequest:
    request = repository.by_reference(session, reference=reference.strip().upper())
    if request is None:
        raise RequestNotFoundError(
            f"No request has the reference {reference!r}.", field="reference"
        )
    return request


def request_for_person(
    session: Session, *, ctx: RequestsContext, reference: str, status_token: str
) -> RightsRequest:
    """The request, when the token given at intake matches; otherwise the same not-found
    error as a wrong reference, so nothing is learnt by guessing."""
    request = repository.by_reference(session, reference=reference.strip().upper())
    if request is None or not hmac.compare_digest(
        _token_hash(ctx, request, status_token), request.status_token_hash
    ):
        raise RequestNotFoundError(
            "No request matches this reference and token: check both in the receipt mail.",
            field="reference",
        )
    return request
