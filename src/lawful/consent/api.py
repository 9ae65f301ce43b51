"""The consent JSON API, the cookie banner's files and configuration, and `gpc.json`.

Staff and systems use an API token (`consent:read` to check, filter and read; `consent:write`
to record, publish and make links). The banner posts without a token: it can only record a
browser's own cookie choices, and it is rate-limited.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from lawful.auth.models import ApiToken
from lawful.consent import repository
from lawful.consent.audience import filter_audience
from lawful.consent.banner import (
    BannerChoice,
    banner_config,
    gpc_document,
    record_banner_choice,
    static_file,
)
from lawful.consent.check_path import CHECK_PATH, check_answer
from lawful.consent.errors import ConsentInputError
from lawful.consent.links import LinkKind, issue_link, unsubscribe_headers
from lawful.consent.models import ConsentEvent, NoticeVersion
from lawful.consent.notices import publish_notice, reconsent_list
from lawful.consent.objections import object_to_purposes
from lawful.consent.policy import policy_for
from lawful.consent.receipts import build_receipt
from lawful.consent.schemas import (
    BannerChoiceIn,
    CheckAnswer,
    CheckIn,
    ConsentEventIn,
    FilterAnswer,
    FilterIn,
    HistoryEvent,
    HistoryIn,
    LinkAnswer,
    LinkIn,
    NoticeIn,
    NoticeOut,
    ObjectionIn,
    ReconsentOut,
    RecordedAnswer,
)
from lawful.consent.service import (
    ConsentEntry,
    Evidence,
    check_consent,
    object_to_marketing,
    record_consent,
)
from lawful.consent.subjects import parse_subject
from lawful.http.deps import (
    Bearer,
    DataMapDep,
    DbSession,
    KeyringDep,
    PlatformDep,
    RateLimited,
    require_scopes,
    token_actor,
)
from lawful.http.errors import BODY_ERRORS, TOKEN_ERRORS, error_responses
from lawful.http.platform import Platform

router = APIRouter(tags=["consent"])
_READ = require_scopes("consent:read")
ReadToken = Annotated[ApiToken, Depends(_READ)]
WriteToken = Annotated[ApiToken, Depends(require_scopes("consent:write"))]
PUBLIC = {"Access-Control-Allow-Origin": "*"}  # the banner runs on the organisation's sites
_MAX_BODY = 32_768
# The errors each kind of route may answer, as the OpenAPI document lists them.
READ_ERRORS = TOKEN_ERRORS | error_responses(422)
WRITE_ERRORS = TOKEN_ERRORS | BODY_ERRORS
Parsed = TypeVar("Parsed", ConsentEventIn, BannerChoiceIn, FilterIn, CheckIn)


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(content, separators=(",", ":"), default=str).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI of a body a route reads itself (after checking the token)."""
    content = {"application/json": {"schema": model.model_json_schema()}}
    return {"requestBody": {"required": True, "content": content}}


def _authorise(platform: Platform, credentials: HTTPAuthorizationCredentials | None) -> None:
    """401 or 403 before any body is read; a token's last use is stored (once a minute)."""
    with platform.sessions() as db:
        token = _READ(db, credentials)
        if token in db.dirty:
            db.commit()


@router.post(
    CHECK_PATH,
    response_model=CheckAnswer,
    summary="May we contact this person?",
    responses=READ_ERRORS | BODY_ERRORS,
    openapi_extra=_body_schema(CheckIn),
)
async def check(request: Request, platform: PlatformDep, credentials: Bearer) -> Response:
    """Allowed or not for `purpose` on `channel`, with the reason and the deciding event.
    The person is named in the body, never in the address (addresses end up in logs).

    The common case is answered before it gets here (`lawful.consent.check_path`); this
    route answers the others (no or bad token, bad input, a token's last use to store)."""
    await run_in_threadpool(_authorise, platform, credentials)
    asked = _parse(CheckIn, await request.body())
    body = await run_in_threadpool(_check, platform, asked)
    return Response(body, media_type="application/json")


def _check(platform: Platform, asked: CheckIn) -> bytes:
    with platform.sessions() as db:
        decision = check_consent(
            db,
            datamap=platform.datamap,
            keyring=platform.keyring,
            subject=asked.subject,
            purpose=asked.purpose,
            channel=asked.channel,
        )
    return check_answer(decision)


@router.post(
    "/api/v1/consent/filter",
    response_model=FilterAnswer,
    summary="Filter an audience",
    responses=WRITE_ERRORS,
    openapi_extra=_body_schema(FilterIn),
)
async def filter_contacts(
    request: Request,
    platform: PlatformDep,
    credentials: Bearer,
    answer: Annotated[
        Literal["contacts", "positions"],
        Query(description="`positions`: the indexes of the allowed contacts, not the contacts"),
    ] = "contacts",
) -> Response:
    """The contacts that may be reached, with consent, preferences, objections and the
    suppression list applied. One malformed contact refuses the whole list. Audiences of a
    million contacts are fine (see `audience_max_megabytes`). The token is checked before the
    body is read."""
    await run_in_threadpool(_authorise, platform, credentials)
    raw = await request.body()
    body = await run_in_threadpool(_filter, platform, raw, answer)
    return Response(body, media_type="application/json")


def _filter(platform: Platform, raw: bytes, answer: str) -> bytes:
    asked = _parse(FilterIn, raw)
    with platform.sessions() as db:
        result = filter_audience(
            db,
            datamap=platform.datamap,
            keyring=platform.keyring,
            contacts=asked.contacts,
            purpose=asked.purpose,
            channel=asked.channel,
        )
    allowed = (
        result.allowed if answer == "positions" else [asked.contacts[i] for i in result.allowed]
    )
    found = {
        "total": result.total,
        "allowed_count": len(result.allowed),
        "excluded": result.excluded,
    }
    return json.dumps({**found, "allowed": allowed}, separators=(",", ":"), default=str).encode()


@router.post(
    "/api/v1/consent/events",
    response_model=RecordedAnswer,
    status_code=201,
    dependencies=[RateLimited],
    summary="Record a choice (or a banner choice)",
    responses=WRITE_ERRORS | error_responses(429),
)
async def record_event(request: Request, platform: PlatformDep, credentials: Bearer) -> Response:
    """With a `consent:write` token: any choice (`ConsentEventIn`). Without: a cookie-banner
    choice (`BannerChoiceIn`), sent as JSON or text/plain."""
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise ConsentInputError("the choice is too large to be one person's choice")
    answer = await run_in_threadpool(_record, request, platform, credentials, raw)
    return _json(answer, 201, PUBLIC)


def _record(
    request: Request,
    platform: Platform,
    credentials: HTTPAuthorizationCredentials | None,
    raw: bytes,
) -> dict[str, Any]:
    with platform.sessions() as db:
        if b'"browser_id"' in raw:
            answer = _banner(db, request, platform, raw)
        else:
            token = require_scopes("consent:write")(db, credentials)
            answer = _staff(db, platform, _parse(ConsentEventIn, raw), token_actor(token))
        db.commit()
    return answer


def _parse(model: type[Parsed], raw: bytes) -> Parsed:
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise ConsentInputError(f"{field or 'body'}: {first.get('msg')}", field=field) from None


def _banner(db: Session, request: Request, platform: Platform, raw: bytes) -> dict[str, Any]:
    body = _parse(BannerChoiceIn, raw)
    header_gpc = request.headers.get("sec-gpc") == "1"  # GPC spec §3.1: exactly "1"
    choice = BannerChoice(
        browser_id=body.browser_id,
        choices=body.choices,
        action=body.action,
        gpc=body.gpc or header_gpc,
        config_version=body.config_version,
        language=body.language,
    )
    recorded = record_banner_choice(
        db,
        datamap=platform.datamap,
        keyring=platform.keyring,
        choice=choice,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    return {"events": [_ref(e) for e in recorded.events], "choices": recorded.choices}


def _staff(db: Session, platform: Platform, body: ConsentEventIn, actor: str) -> dict[str, Any]:
    evidence = Evidence(**body.evidence.model_dump()) if body.evidence else None
    entry = ConsentEntry(
        subject=body.subject,
        state=body.state,
        channel=body.channel,
        method=body.method,
        purposes=tuple(body.purposes),
        contact_channel=body.contact_channel,
        language=body.language,
        at=body.at,
        evidence=evidence,
    )
    events = record_consent(
        db, datamap=platform.datamap, keyring=platform.keyring, entry=entry, actor=actor
    )
    return {"events": [_ref(e) for e in events], "choices": None}


def _ref(event: ConsentEvent) -> dict[str, Any]:
    return {"id": event.uid, "state": event.state.value, "at": event.at.isoformat()}


@router.post(
    "/api/v1/consent/history",
    response_model=list[HistoryEvent],
    summary="A person's history",
    responses=READ_ERRORS | BODY_ERRORS,
)
def history(
    body: HistoryIn, db: DbSession, datamap: DataMapDep, keyring: KeyringDep, _: ReadToken
) -> list[HistoryEvent]:
    """Every choice recorded for the person named in the body (never in the address)."""
    person = parse_subject(body.subject, policy=policy_for(datamap))
    events = repository.subject_events(db, index=keyring.index(person.key))
    return [
        HistoryEvent(
            id=e.uid,
            purpose=e.purpose,
            contact_channel=e.contact_channel,
            cookie_category=e.cookie_category,
            state=e.state.value,
            channel=e.channel,
            method=e.method,
            notice_version=e.notice_version,
            at=e.at,
            expires_at=e.expires_at,
        )
        for e in events
    ]


@router.post(
    "/api/v1/consent/objections",
    response_model=RecordedAnswer,
    status_code=201,
    summary="Objection to direct marketing (Art. 21(3)) or to named purposes (Art. 21(1))",
    responses=WRITE_ERRORS,
)
def objection(
    body: ObjectionIn, db: DbSession, datamap: DataMapDep, keyring: KeyringDep, token: WriteToken
) -> RecordedAnswer:
    """Without `purposes`: stops all direct marketing for good (the person joins the
    suppression list). With them: the consent check answers `objected` for each."""
    if body.purposes is not None:
        events = object_to_purposes(
            db,
            datamap=datamap,
            keyring=keyring,
            subject=body.subject,
            purposes=body.purposes,
            channel=body.channel,
            actor=token_actor(token),
        )
        return RecordedAnswer.model_validate({"events": [_ref(e) for e in events]})
    events = object_to_marketing(
        db,
        datamap=datamap,
        keyring=keyring,
        subject=body.subject,
        channel=body.channel,
        actor=token_actor(token),
    )
    return RecordedAnswer.model_validate({"events": [_ref(e) for e in events]})


@router.get(
    "/api/v1/consent/receipts/{event_id}",
    summary="Consent receipt (ISO 27560 or Kantara)",
    responses=READ_ERRORS | error_responses(404),
)
def receipt(
    event_id: str,
    db: DbSession,
    platform: PlatformDep,
    _: ReadToken,
    format: Annotated[str, Query(pattern="^(iso27560|kantara)$")] = "iso27560",
) -> Response:
    return receipt_response(db, platform, event_id=event_id, kind=format)


def receipt_response(
    db: Session, platform: Platform, *, event_id: str, kind: str, index: str | None = None
) -> Response:
    """The receipt as a JSON download; with `index`, only for that subject's own events."""
    content = build_receipt(
        db,
        datamap=platform.datamap,
        keyring=platform.keyring,
        public_url=platform.settings.public_url,
        event_id=event_id,
        kind=kind,
        index=index,
    )
    name = f"consent-receipt-{event_id[:32]}-{kind}.json"
    return _json(content, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(
    "/api/v1/consent/links",
    response_model=LinkAnswer,
    status_code=201,
    summary="A preference-center or unsubscribe link",
    responses=WRITE_ERRORS,
)
def make_link(body: LinkIn, platform: PlatformDep, _: WriteToken) -> LinkAnswer:
    kind = LinkKind(body.kind)
    url = issue_link(
        datamap=platform.datamap,
        keyring=platform.keyring,
        public_url=platform.settings.public_url,
        kind=kind,
        subject=body.subject,
        channel=body.channel,
        purpose=body.purpose,
    )
    requests = platform.datamap.organization.requests
    mailto = requests.email if requests else platform.datamap.organization.contact.email
    headers = unsubscribe_headers(url=url, mailto=mailto) if kind is LinkKind.unsubscribe else {}
    return LinkAnswer(url=url, headers=headers)


@router.get(
    "/api/v1/consent/notices",
    response_model=list[NoticeOut],
    summary="Published notices",
    responses=TOKEN_ERRORS,
)
def notices(db: DbSession, _: ReadToken) -> list[NoticeOut]:
    return [_notice(db, n) for n in repository.notice_versions(db)]


@router.post(
    "/api/v1/consent/notices",
    response_model=NoticeOut,
    status_code=201,
    summary="Publish the notice generated from the map",
    responses=WRITE_ERRORS | error_responses(409),
)
def publish(body: NoticeIn, db: DbSession, platform: PlatformDep, token: WriteToken) -> NoticeOut:
    notice = publish_notice(
        db,
        datamap=platform.datamap,
        actor=token_actor(token),
        material=body.material,
        version=body.version,
        purposes=body.purposes,
        summary=body.summary,
        grace_days=body.grace_days,
        queue=platform.jobs,
    )
    return _notice(db, notice)


def _notice(db: Session, notice: NoticeVersion) -> NoticeOut:
    return NoticeOut(
        version=notice.version,
        language=notice.language,
        sha256=notice.sha256,
        material=notice.material,
        summary=notice.summary,
        published_at=notice.published_at,
        published_by=notice.published_by,
        purposes=repository.notice_purposes(db, notice_id=notice.id),
    )


@router.get(
    "/api/v1/consent/reconsent",
    response_model=list[ReconsentOut],
    summary="Who must be asked for consent again",
    responses=TOKEN_ERRORS,
)
def reconsent(
    db: DbSession, datamap: DataMapDep, keyring: KeyringDep, _: ReadToken
) -> list[ReconsentOut]:
    """People whose consent predates a material notice change affecting its purpose."""
    return [
        ReconsentOut(
            subject=e.subject,
            purpose=e.purpose,
            given_at=e.given_at,
            notice_version=e.notice_version,
            event_id=e.event_uid,
            changed_at=e.changed_at,
        )
        for e in reconsent_list(db, datamap=datamap, keyring=keyring)
    ]


@router.get("/consent/banner.js", include_in_schema=False)
def banner_js() -> Response:
    return Response(
        static_file("banner.js"),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600", **PUBLIC},
    )


@router.get("/consent/banner.css", include_in_schema=False)
def banner_css() -> Response:
    return Response(
        static_file("banner.css"),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", **PUBLIC},
    )


@router.get("/consent/config.json", summary="The cookie banner's configuration")
def config(request: Request, datamap: DataMapDep) -> JSONResponse:
    """Generated from the map's trackers; `gpc` is true when the request sent `Sec-GPC: 1`.
    Not cached: it depends on that header (`Vary: Sec-GPC`)."""
    gpc = request.headers.get("sec-gpc") == "1"
    return JSONResponse(
        banner_config(datamap, gpc=gpc),
        headers={"Vary": "Sec-GPC", "Cache-Control": "no-store", **PUBLIC},
    )


@router.get("/.well-known/gpc.json", summary="Global Privacy Control support")
def gpc_json() -> JSONResponse:
    return JSONResponse(gpc_document(), headers=PUBLIC)
