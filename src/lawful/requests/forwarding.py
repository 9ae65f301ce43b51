"""Requests about data we hold for a client (we are its processor, GDPR Art. 28(3)(e)) go to
that client, by email or by a signed webhook, and the person is told whom to turn to.

A client is only told about a person it holds: each client dataset is checked for the
person's identity values first, matched as the engine matches them (emails whatever their
stored case and spaces; only the identity column is read), so no client learns of someone it
never had. A dataset that cannot be checked is left to staff.

Webhook signature: `X-Lawful-Signature: sha256=<hex>` is HMAC-SHA256, keyed with the secret
in the environment variable the map names (`forward.secret_env`), over
`<X-Lawful-Timestamp>.<body>`; the receiver recomputes it and rejects old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from lawful.connectors.base import Connector, ConnectorError
from lawful.datamap.models import AUTOMATED_FORWARDS, Client, DataMap
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity, IdentityKind, identity_types
from lawful.engine.plan import Forward
from lawful.requests.mail import Mailer, MailError, render_mail

SIGNATURE_HEADER = "X-Lawful-Signature"
TIMESTAMP_HEADER = "X-Lawful-Timestamp"
WEBHOOK_TIMEOUT_SECONDS = 15
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class ClientShare:
    """A client that holds the person, the datasets, and the identity values it knows."""

    client: str
    datasets: tuple[str, ...]
    identity: tuple[tuple[str, str], ...]


def holding_clients(
    *, datamap: DataMap, datastores: Datastores, identity: Identity, forwards: tuple[Forward, ...]
) -> tuple[list[ClientShare], list[str]]:
    """The clients whose datasets hold the person, and the datasets that could not be checked."""
    found: dict[str, tuple[list[str], set[tuple[str, str]]]] = {}
    unchecked: list[str] = []
    for forward in forwards:
        try:
            matched = _matching_values(datamap, datastores, identity, forward.dataset)
        except ConnectorError:
            unchecked.append(forward.dataset)
            continue
        if matched:
            datasets, values = found.setdefault(forward.client, ([], set()))
            datasets.append(forward.dataset)
            values.update(matched)
    shares = [ClientShare(c, tuple(d), tuple(sorted(v))) for c, (d, v) in found.items()]
    return shares, unchecked


def _matching_values(
    datamap: DataMap, datastores: Datastores, identity: Identity, did: str
) -> set[tuple[str, str]]:
    dataset = datamap.datasets[did]
    system = datamap.systems.get(dataset.system)
    if system is None or system.connection is None:
        raise ConnectorError("no connection to check", system=dataset.system, dataset=did)
    table = dataset.table or did
    # As the engine's plan looks a person up (engine/plan.py `_lookups`): emails case-blind.
    emails = {k for k, how in identity_types(datamap).items() if how is IdentityKind.email}
    matched: set[tuple[str, str]] = set()
    for kind, columns in dataset.identity_fields().items():
        values = identity.of(kind)
        if not values:
            continue
        for column in columns:
            finder = _finder(table, column, values, casefold=kind in emails)
            if datastores.read(dataset.system, finder):
                matched.update((kind, value) for value in values)
    return matched


def _finder(
    table: str, column: str, values: list[str], *, casefold: bool
) -> Callable[[Connector], bool]:
    def found(connector: Connector) -> bool:
        folded = [column] if casefold else []
        where = {column: values}
        return bool(connector.fetch(table, where=where, columns=[column], casefold=folded))

    return found


@dataclass(frozen=True)
class ForwardResult:
    client: str
    client_name: str
    method: str
    datasets: tuple[str, ...]
    status: str  # sent, failed, manual
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "datasets": list(self.datasets)}


@dataclass(frozen=True)
class ForwardedRequest:
    """What the client is told: enough to find the person and answer in time."""

    reference: str
    request_type: str
    received_at: str
    respond_by: str
    controller: str  # us, the processor that received it

    def body(self, share: ClientShare) -> dict[str, Any]:
        return {
            "type": "lawful.rights_request",
            "reference": self.reference,
            "request_type": self.request_type,
            "received_at": self.received_at,
            "respond_by": self.respond_by,
            "received_by": self.controller,
            "datasets": list(share.datasets),
            "identity": [{"type": kind, "value": value} for kind, value in share.identity],
        }


def forward_to_client(
    share: ClientShare,
    *,
    datamap: DataMap,
    request: ForwardedRequest,
    mailer: Mailer,
    environ: Mapping[str, str],
    http: httpx.Client,
    now: datetime,
) -> ForwardResult:
    """Send the request on, by the method the map gives the client; never raises."""
    client = datamap.clients[share.client]
    method = client.forward.method.value
    base = (share.client, client.name, method, share.datasets)
    if client.forward.method not in AUTOMATED_FORWARDS:  # a to-do for staff (L014)
        return ForwardResult(*base, "manual", f"send it through {method} by hand")
    try:
        if method == "email":
            _by_email(client, request, share, mailer)
        else:
            _by_webhook(client, request, share, environ, http, now)
    except (MailError, httpx.HTTPError, ForwardError) as error:
        return ForwardResult(*base, "failed", str(error)[:300])
    return ForwardResult(*base, "sent", f"sent to {client.forward.address}")


class ForwardError(Exception):
    """The request could not be sent to the client; the message says why."""


def _by_email(
    client: Client, request: ForwardedRequest, share: ClientShare, mailer: Mailer
) -> None:
    context = {**request.body(share), "client": client.name}
    mailer.send(render_mail("client_forward", to=client.forward.address, context=context))


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The value of `X-Lawful-Signature` for `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _by_webhook(
    client: Client,
    request: ForwardedRequest,
    share: ClientShare,
    environ: Mapping[str, str],
    http: httpx.Client,
    now: datetime,
) -> None:
    url = client.forward.address
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS):
        raise ForwardError(f"the webhook of {client.name} must use https://")
    secret_env = client.forward.secret_env
    secret = environ.get(secret_env or "")
    if not secret:
        raise ForwardError(
            f"set {secret_env or 'forward.secret_env'} to the secret shared with {client.name}"
        )
    body = json.dumps(request.body(share), separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret.encode(), timestamp, body),
    }
    response = http.post(url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS)
    if response.status_code >= 300:
        raise ForwardError(f"the webhook of {client.name} answered HTTP {response.status_code}")
