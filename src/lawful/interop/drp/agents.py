"""The agents staff trust (DRP 1.0 §3.05.1 entries), added by hand or from a directory file,
and the pair-wise bearer tokens they get (DRP 1.0 §2.05)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.interop.drp import repository
from lawful.interop.drp.errors import DrpError, forbidden
from lawful.interop.drp.models import DrpAgent, DrpToken
from lawful.interop.drp.signing import check_envelope, claims_of, decode_message, open_signed
from lawful.interop.drp.signing import verify_key as parse_verify_key
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

AGENT_ID = re.compile(r"[A-Z_]+")  # DRP 1.0 §3.05.1: "[A-Z_]+"
SUBJECT_TYPE = "drp_agent"
TOKEN_LABEL = "drp-token:"  # noqa: S105 (a label for the hash, not a secret)


class AgentError(ValueError):
    """An agent entry staff gave that cannot be used; says what to fix."""


@dataclass(frozen=True)
class AgentEntry:
    id: str
    name: str
    verify_key: str
    web_url: str | None = None
    identity_assurance_url: str | None = None
    technical_contact: str | None = None
    business_contact: str | None = None

    @classmethod
    def from_directory(cls, entry: Mapping[str, Any], where: str) -> AgentEntry:
        """One entry of the DRP service directory's agent document."""
        missing = [k for k in ("id", "name", "verify_key") if not isinstance(entry.get(k), str)]
        if missing:
            raise AgentError(f"{where}: missing {', '.join(missing)} (strings)")
        optional = ("web_url", "identity_assurance_url", "technical_contact", "business_contact")
        extra = {k: str(entry[k]) for k in optional if entry.get(k) is not None}
        return cls(id=entry["id"], name=entry["name"], verify_key=entry["verify_key"], **extra)


def add_agent(session: Session, *, entry: AgentEntry, actor: str) -> DrpAgent:
    """Register (or update) an agent; AgentError if its id or key is not usable."""
    if not AGENT_ID.fullmatch(entry.id):
        raise AgentError(f"agent id {entry.id!r}: use capital letters and _ only (DRP 1.0)")
    if not entry.name.strip():
        raise AgentError(f"agent {entry.id}: give its name, as people know it")
    try:
        parse_verify_key(entry.verify_key)
    except ValueError as error:
        raise AgentError(f"agent {entry.id}: {error}; give the Ed25519 key in base64") from None
    agent = repository.get_agent(session, agent_id=entry.id) or DrpAgent(id=entry.id)
    for field, value in vars(entry).items():
        setattr(agent, field, value.strip() if isinstance(value, str) else value)
    session.add(agent)
    record_event(session, actor=actor, action="drp.agent_saved", subject_type=SUBJECT_TYPE,
                 subject_id=entry.id, details={"name": agent.name})  # fmt: skip
    return agent


def import_agents(
    session: Session, *, entries: Sequence[Mapping[str, Any]], actor: str
) -> list[DrpAgent]:
    """Every entry of a directory file (a JSON list of agent entries), all or none."""
    parsed = [AgentEntry.from_directory(e, f"entry {n}") for n, e in enumerate(entries, 1)]
    return [add_agent(session, entry=entry, actor=actor) for entry in parsed]


def remove_agent(session: Session, *, agent_id: str, actor: str) -> None:
    """Forget an agent and its tokens; its requests stay (their agent is named on them)."""
    agent = repository.get_agent(session, agent_id=agent_id)
    if agent is None:
        raise AgentError(f"no agent {agent_id!r}; `lawful drp agent list` shows them")
    session.delete(agent)
    record_event(session, actor=actor, action="drp.agent_removed", subject_type=SUBJECT_TYPE,
                 subject_id=agent_id)  # fmt: skip


def token_hash(keyring: Keyring, token: str) -> str:
    return keyring.index(TOKEN_LABEL + token)


def pair_agent(
    session: Session,
    *,
    keyring: Keyring,
    agent_id: str,
    body: bytes,
    business_id: str,
    now: datetime | None = None,
) -> str:
    """Pair-wise key setup (DRP 1.0 §2.05): the message is signed with the key of the agent
    named in the URL and names it too; a new opaque token, kept only as a keyed hash. Any
    failure is a bare 403 (the parties sort it out of band)."""
    now = now or utcnow()
    agent = repository.get_agent(session, agent_id=agent_id)
    try:
        raw = decode_message(body)
        if agent is None:
            raise forbidden("unknown agent")
        claims = claims_of(open_signed(raw, parse_verify_key(agent.verify_key)))
        check_envelope(claims, agent_id=agent_id, business_id=business_id, now=now)
    except DrpError as error:
        raise DrpError(403, error.message, bare=True) from None
    token = secrets.token_urlsafe(32)  # a CSPRNG (DRP 1.0 §2.05.1)
    session.add(DrpToken(token_hash=token_hash(keyring, token), agent_id=agent_id, created_at=now))
    record_event(session, actor=f"agent:{agent_id}", action="drp.paired",
                 subject_type=SUBJECT_TYPE, subject_id=agent_id, at=now)  # fmt: skip
    return token


def agent_for_bearer(session: Session, *, keyring: Keyring, authorization: str | None) -> DrpAgent:
    """The agent whose pair-wise token is presented (`Authorization: Bearer …`), or 403."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise forbidden("Send the pair-wise token as `Authorization: Bearer <token>`.")
    agent = repository.agent_for_token(session, token_hash=token_hash(keyring, token.strip()))
    if agent is None:
        raise forbidden("This bearer token is unknown: pair again (POST /v1/agent/{id}).")
    return agent
