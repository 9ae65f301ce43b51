"""`POST /api/v1/consent/check` answered below the framework: the API's hot path.

A plain ASGI layer in front of the FastAPI stack answers the common case — a well-formed
check with a live API token that carries `consent:read` — with one indexed read on one
connection kept by the process: the token's row and the deciding facts in a single
statement, no ORM, no dependency injection, no thread hop. Every other case goes on to the
FastAPI route, unchanged: no token, an unknown, revoked or expired one, a missing scope,
malformed or missing fields, a token whose last use is due to be stored (at most once
a minute), a store error. So statuses and error bodies stay exactly those of the rest of
the API. Nothing is cached: each answer reads the ledger and the token as committed, so a
withdrawal, an unsubscribe or a revocation counts from the next check, in every process.

The person is named in the JSON body, never in the address: addresses are written to access
logs, by this server and by every proxy on the way. Without an `Authorization: Bearer` header
the body is not read here; with one, at most `MAX_BODY` bytes are (a larger body goes on to
the route, whose body limit refuses it).

The layer sits inside `SecurityHeadersMiddleware` (see `lawful.web.app`), so its answers
carry the same headers as every other one. The route has no rate limit; neither has this.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lawful.auth.service import last_use_due, token_digest, token_is_live
from lawful.consent import repository
from lawful.consent.errors import ConsentInputError
from lawful.consent.repository import CheckFacts, TokenFacts
from lawful.consent.rules import Decision
from lawful.consent.service import CheckQuestion, check_question, decide_check
from lawful.store.models import utcnow

CHECK_PATH = "/api/v1/consent/check"
SCOPE = "consent:read"
# The route's `CheckIn` limits: longer values go to it, to be refused as it refuses them.
LIMITS = {"subject": 400, "purpose": 100, "channel": 16}
MAX_BODY = 4096  # the route's body limit (`lawful.web.app.BODY_LIMITS`)
STATEMENT_TIMEOUT_MS = 2000
_JSON_HEADERS = [(b"content-type", b"application/json")]


def check_answer(decision: Decision) -> bytes:
    """The check's JSON answer (the route and this layer send the same bytes)."""
    event = decision.event
    found = (
        {"id": event.uid, "state": str(event.state), "at": event.at.isoformat()} if event else None
    )
    answer = {
        "allowed": decision.allowed,
        "reason": decision.reason,
        "message": decision.message,
        "event": found,
    }
    return json.dumps(answer, separators=(",", ":")).encode()


class ConsentCheckPath:
    """ASGI middleware: answers the common consent check itself, hands on everything else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.reader: LedgerReader | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing_on_shutdown(send))
            return
        if scope["type"] != "http" or scope["path"] != CHECK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        secret = bearer_secret(scope)
        if secret is None:  # refused by the route, before it reads the body
            await self.app(scope, receive, send)
            return
        raw, receive = await read_small_body(receive, MAX_BODY)
        body = None if raw is None else self._answer(scope, secret, raw)
        if body is None:
            await self.app(scope, receive, send)
            return
        length = (b"content-length", str(len(body)).encode())
        await send({"type": "http.response.start", "status": 200, "headers": [length, *_JSON_HEADERS]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Scope, secret: str, raw: bytes) -> bytes | None:
        """The answer, or None when the FastAPI route must give it."""
        asked = fields(raw)
        platform = getattr(scope["app"].state, "platform", None)
        if asked is None or platform is None:
            return None
        try:
            question = check_question(datamap=platform.datamap, keyring=platform.keyring, **asked)
        except ConsentInputError:
            return None
        if self.reader is None:
            self.reader = LedgerReader(platform.sessions.kw["bind"])
        found = self.reader.read(secret=secret, question=question)
        now = utcnow()
        if found is None or not token_allows(found[0], now=now):
            return None
        return check_answer(decide_check(question=question, found=found[1], now=now))

    def _closing_on_shutdown(self, send: Send) -> Send:
        async def closing(message: Message) -> None:
            if message["type"].startswith("lifespan.shutdown") and self.reader is not None:
                self.reader.close()
                self.reader = None
            await send(message)

        return closing


async def read_small_body(receive: Receive, limit: int) -> tuple[bytes | None, Receive]:
    """The whole body if it is at most `limit` bytes (else None), and a `receive` that gives
    the route the same messages again, then the rest of the request's."""
    messages: list[Message] = []
    size, done = 0, False
    while not done and size <= limit:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        done = message["type"] != "http.request" or not message.get("more_body", False)
    complete = done and messages[-1]["type"] == "http.request" and size <= limit

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    raw = b"".join(m.get("body", b"") for m in messages) if complete else None
    return raw, replay


def fields(raw: bytes) -> dict[str, str] | None:
    """subject, purpose and channel: a JSON object of exactly these, each a string within
    the route's limits; anything else is for the route to refuse."""
    try:
        asked = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(asked, dict) or asked.keys() != LIMITS.keys():
        return None
    for name, value in asked.items():
        if not isinstance(value, str) or len(value) > LIMITS[name]:
            return None
    return asked


def bearer_secret(scope: Scope) -> str | None:
    """The secret of `Authorization: Bearer <secret>` (the first such header), or None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, secret = value.decode("latin-1").partition(" ")
            return secret if scheme.lower() == "bearer" and secret else None
    return None


def token_allows(token: TokenFacts | None, *, now: datetime) -> bool:
    """Live (known, not revoked, not expired), with the scope, and no last use to store."""
    if token is None or SCOPE not in token.scopes:
        return False
    live = token_is_live(revoked_at=token.revoked_at, expires_at=token.expires_at, now=now)
    return live and not last_use_due(token.last_used_at, now=now)


class LedgerReader:
    """One database connection of this process, used only by the event loop's thread, in
    autocommit: each read sees every commit made before it, by any process."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.dialect = engine, engine.dialect.name
        self._errors: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._connection: Any = None

    def read(
        self, *, secret: str, question: CheckQuestion
    ) -> tuple[TokenFacts | None, CheckFacts] | None:
        """The token and the facts, or None if the store could not answer (the route then
        tries, and reports the error as every route does)."""
        try:
            if self._connection is None:
                self._connection = self._connect()
            return repository.token_check_facts(
                self._connection.driver_connection,
                dialect=self.dialect,
                token_hash=token_digest(secret),
                index=question.index,
                purpose=question.rule.id,
                channel=question.channel,
                suppression=question.suppression,
            )
        except self._errors:
            self.close()
            return None

    def _connect(self) -> Any:
        connection = self.engine.raw_connection()
        driver: Any = connection.driver_connection
        if self.dialect == "sqlite":
            driver.isolation_level = None  # autocommit: no transaction is left open
        else:
            driver.autocommit = True
            # This read runs on the event loop: a statement stuck on a lock must not hold
            # the whole process; after the limit it fails and the route answers instead.
            driver.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        return connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()  # closed, not handed back to the pool in autocommit
            self._connection = None
