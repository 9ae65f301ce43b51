"""The OpenDSR 2.0 endpoints, as the processor (under `/opendsr/v1`), and the same under the
protocol's former name, OpenGDPR 1.0 (`/opengdpr/v1`, `opengdpr_requests`, `X-OpenGDPR-*`
headers), which OpenDSR 2.0 §10.1 requires us to keep honouring. Every answer is signed
with our certificate's key; requests carry a client's bearer token (`credentials`)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from lawful.http.deps import DbSession, PlatformDep, RateLimited
from lawful.http.platform import Platform
from lawful.interop.opendsr import service
from lawful.interop.opendsr.callbacks import announce
from lawful.interop.opendsr.credentials import client_for_bearer
from lawful.interop.opendsr.following import receive_callback
from lawful.interop.opendsr.intake import IDENTITY_TYPES, REQUEST_TYPES, OpenDsrError, parse_request
from lawful.interop.opendsr.schemas import (
    APP_ERRORS,
    CALLBACK_RESPONSES,
    NO_CERTIFICATE,
    opendsr_responses,
)
from lawful.interop.opendsr.signing import (
    DOMAIN,
    LEGACY_DOMAIN,
    LEGACY_SIGNATURE,
    SIGNATURE,
    SigningError,
    signer_for,
)
from lawful.interop.opendsr.status import API_VERSION, cancelled_body, created_body, status_body
from lawful.interop.opendsr.trust import TRUSTED_CAS_ENV
from lawful.requests.context import RequestsContext
from lawful.store.models import utcnow

Authorization = Annotated[str | None, Header()]
router = APIRouter(tags=["OpenDSR (processor)"], dependencies=[RateLimited])
# (prefix, collection, legacy headers): OpenDSR 2.0, then OpenGDPR 1.0 (§10.1).
VERSIONS = (("/opendsr/v1", "requests", False), ("/opengdpr/v1", "opengdpr_requests", True))


def signed(platform: Platform, body: dict[str, Any], status: int, *, legacy: bool) -> Response:
    """A JSON answer with its signature headers; 404 while no key is configured."""
    data = json.dumps(body, separators=(",", ":")).encode()
    try:
        signer = signer_for(platform.settings)
    except SigningError:
        signer = None
    if signer is None:  # not a server error: this installation does not offer OpenDSR
        error = OpenDsrError("OpenDSR is not configured here (no signing key).", status=404,
                             reason="NotConfigured")  # fmt: skip
        return Response(json.dumps(error.body()), 404, media_type="application/json")
    return Response(data, status, headers=signer.headers(data, legacy=legacy),
                    media_type="application/json")  # fmt: skip


def answer(
    platform: Platform, work: Callable[[], tuple[dict[str, Any], int]], *, legacy: bool
) -> Response:
    try:
        body, status = work()
    except OpenDsrError as error:
        return signed(platform, error.body(), error.status, legacy=legacy)
    return signed(platform, body, status, legacy=legacy)


def client_of(db: Session, platform: Platform, authorization: str | None) -> str:
    client = client_for_bearer(db, keyring=platform.keyring, datamap=platform.datamap,
                               authorization=authorization)  # fmt: skip
    if client is None:
        raise OpenDsrError("Send a valid client token: Authorization: Bearer <token>.",
                           status=401, reason="Unauthorized")  # fmt: skip
    return client


def discovery(platform: Platform, prefix: str) -> dict[str, Any]:
    """§6.3: what we support, and where our signing certificate is."""
    return {
        "api_version": API_VERSION,
        "supported_identities": [
            {"identity_type": kind, "identity_format": "raw"} for kind in IDENTITY_TYPES
        ],
        "supported_subject_request_types": list(REQUEST_TYPES),
        "processor_certificate": f"{platform.settings.public_url.rstrip('/')}{prefix}/cert.pem",
    }


def _create(
    db: Session, platform: Platform, authorization: str | None, body: bytes
) -> tuple[dict[str, Any], int]:
    client = client_of(db, platform, authorization)
    submitted = parse_request(body)
    row = service.submit(db, keyring=platform.keyring, jobs=platform.context(RequestsContext).jobs,
                         client=client, submitted=submitted,
                         base_url=platform.settings.public_url, now=utcnow())  # fmt: skip
    signer = signer_for(platform.settings)
    receipt = signer.sign(body) if signer else ""
    return created_body(row, service.encoded(body), receipt), 201


def _status(
    db: Session, platform: Platform, authorization: str | None, subject_request_id: str
) -> tuple[dict[str, Any], int]:
    client = client_of(db, platform, authorization)
    row = service.owned(db, client=client, subject_request_id=subject_request_id)
    return status_body(row), 200


def _cancel(
    db: Session, platform: Platform, authorization: str | None, subject_request_id: str
) -> tuple[dict[str, Any], int]:
    client, now = client_of(db, platform, authorization), utcnow()
    row = service.cancel(db, client=client, subject_request_id=subject_request_id, now=now)
    announce(db, jobs=platform.context(RequestsContext).jobs, row=row)
    return cancelled_body(row, now), 202


def _results(
    db: Session, platform: Platform, authorization: str | None, sid: str, *, legacy: bool
) -> Response:
    try:
        client = client_of(db, platform, authorization)
        package = service.results(db, keyring=platform.keyring, client=client,
                                  subject_request_id=sid)  # fmt: skip
    except OpenDsrError as error:
        return signed(platform, error.body(), error.status, legacy=legacy)
    signer = signer_for(platform.settings)
    headers = signer.headers(package, legacy=legacy) if signer else {}
    return Response(package, media_type="application/zip", headers=headers)


def _certificate(platform: Platform) -> Response:
    signer = signer_for(platform.settings)
    if signer is None:
        error = OpenDsrError("No certificate is configured here.", status=404, reason="NotFound")
        return Response(json.dumps(error.body()), 404, media_type="application/json")
    return Response(signer.chain_pem, media_type="application/x-pem-file")


def _discovery_routes(prefix: str, legacy: bool) -> None:
    @router.get(f"{prefix}/discovery", summary="Discovery (OpenDSR 2.0 §6)",
                responses=opendsr_responses(404))  # fmt: skip
    def get_discovery(platform: PlatformDep) -> Response:
        return signed(platform, discovery(platform, prefix), 200, legacy=legacy)

    @router.get(f"{prefix}/cert.pem", summary="Our signing certificate chain (§6.3)",
                responses=APP_ERRORS | NO_CERTIFICATE)  # fmt: skip
    def certificate(platform: PlatformDep) -> Response:
        return _certificate(platform)


def _request_routes(base: str, legacy: bool) -> None:
    @router.post(base, status_code=201, summary="A new request (OpenDSR 2.0 §7)",
                 responses=opendsr_responses(400, 401, 404, body=True))  # fmt: skip
    async def create(
        request: Request, db: DbSession, platform: PlatformDep, authorization: Authorization = None
    ) -> Response:
        body = await request.body()
        work = partial(_create, db, platform, authorization, body)
        return await run_in_threadpool(answer, platform, work, legacy=legacy)

    @router.get(base + "/{subject_request_id}", summary="A request's status (§8)",
                responses=opendsr_responses(401, 404))  # fmt: skip
    def get_status(subject_request_id: str, db: DbSession, platform: PlatformDep,
                   authorization: Authorization = None) -> Response:  # fmt: skip
        work = partial(_status, db, platform, authorization, subject_request_id)
        return answer(platform, work, legacy=legacy)

    @router.delete(base + "/{subject_request_id}", summary="Cancel while pending (§9)",
                   responses=opendsr_responses(400, 401, 404))  # fmt: skip
    def cancel(subject_request_id: str, db: DbSession, platform: PlatformDep,
               authorization: Authorization = None) -> Response:  # fmt: skip
        work = partial(_cancel, db, platform, authorization, subject_request_id)
        return answer(platform, work, legacy=legacy)

    @router.get(base + "/{subject_request_id}/results", summary="Access results (§8.3)",
                responses=opendsr_responses(401, 404))  # fmt: skip
    def get_results(subject_request_id: str, db: DbSession, platform: PlatformDep,
                    authorization: Authorization = None) -> Response:  # fmt: skip
        return _results(db, platform, authorization, subject_request_id, legacy=legacy)


@router.post("/opendsr/v1/callbacks", status_code=202, summary="A processor's status callback",
             responses=CALLBACK_RESPONSES)  # fmt: skip
async def processor_callback(request: Request, platform: PlatformDep) -> Response:
    """Of a request we sent to a processor (we are its controller): 202 once its domain,
    certificate and signature are checked; 401 for an unknown domain or certificate, 400 for
    a wrong signature or body (security guidelines, callback validation)."""
    body, headers = await request.body(), dict(request.headers)
    our_url = f"{platform.settings.public_url.rstrip('/')}/opendsr/v1/callbacks"
    environ = dict(os.environ)
    if platform.settings.opendsr_trusted_cas is not None:
        environ[TRUSTED_CAS_ENV] = str(platform.settings.opendsr_trusted_cas)

    def work() -> int:
        with platform.sessions() as session, httpx.Client() as http:
            status = receive_callback(session, ctx=platform.context(RequestsContext), http=http,
                                      environ=environ, headers=_cased(headers), body=body,
                                      our_url=our_url)  # fmt: skip
            session.commit()
        return status

    return Response(status_code=await run_in_threadpool(work))


def _cased(headers: dict[str, str]) -> dict[str, str]:
    """Header names as the signing module spells them (HTTP names are case-blind)."""
    names = {n.lower(): n for n in (SIGNATURE, DOMAIN, LEGACY_SIGNATURE, LEGACY_DOMAIN)}
    return {names.get(k.lower(), k): v for k, v in headers.items()}


for _prefix, _collection, _legacy in VERSIONS:
    _discovery_routes(_prefix, _legacy)
    _request_routes(f"{_prefix}/{_collection}", _legacy)
