"""The credentials of the clients that send us OpenDSR requests. OpenDSR leaves request
authentication to the processor (OpenDSR 2.0 §4.3): each client's system gets bearer tokens
made here (a CSPRNG), shown once, stored only as a keyed hash; a client is one of the map's
`clients` (the controllers we process data for, GDPR Art. 28)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.interop.opendsr.models import OpenDsrCredential
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring

TOKEN_LABEL = "opendsr-token:"  # noqa: S105 (a label for the hash, not a secret)
TOKEN_PREFIX = "odsr_"  # noqa: S105
SUBJECT_TYPE = "opendsr_client"


class CredentialError(ValueError):
    """A credential that cannot be made or found; says what to do."""


@dataclass(frozen=True)
class NewCredential:
    client: str
    label: str
    token: str  # shown once


def token_hash(keyring: Keyring, token: str) -> str:
    return keyring.index(TOKEN_LABEL + token)


def issue_credential(
    session: Session, *, keyring: Keyring, datamap: DataMap, client: str, label: str, actor: str
) -> NewCredential:
    """A new bearer token for one of the map's clients."""
    if client not in datamap.clients:
        known = ", ".join(sorted(datamap.clients)) or "none"
        raise CredentialError(f"no client {client!r} in the map (clients: {known})")
    label = label.strip() or "OpenDSR"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(OpenDsrCredential(token_hash=token_hash(keyring, token), client=client,
                                  label=label[:100], prefix=token[:12], created_by=actor))  # fmt: skip
    record_event(session, actor=actor, action="opendsr.credential_issued",
                 subject_type=SUBJECT_TYPE, subject_id=client, details={"label": label[:100]})  # fmt: skip
    return NewCredential(client, label, token)


def list_credentials(session: Session) -> Sequence[OpenDsrCredential]:
    query = select(OpenDsrCredential).order_by(
        OpenDsrCredential.client, OpenDsrCredential.created_at
    )
    return session.scalars(query).all()


def revoke_credential(session: Session, *, prefix: str, actor: str) -> OpenDsrCredential:
    """Revoke the token that starts with `prefix` (as listed); it stops working at once."""
    found = [c for c in list_credentials(session) if c.prefix == prefix.strip()]
    if len(found) != 1:
        raise CredentialError(f"no single credential starts with {prefix!r}; see the list")
    session.delete(found[0])
    record_event(session, actor=actor, action="opendsr.credential_revoked",
                 subject_type=SUBJECT_TYPE, subject_id=found[0].client,
                 details={"prefix": found[0].prefix})  # fmt: skip
    return found[0]


def client_for_bearer(
    session: Session, *, keyring: Keyring, datamap: DataMap, authorization: str | None
) -> str | None:
    """The client whose token is presented (`Authorization: Bearer …`) and still in the map."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = session.get(OpenDsrCredential, token_hash(keyring, token.strip()))
    if found is None or found.client not in datamap.clients:
        return None
    return found.client
