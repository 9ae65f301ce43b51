"""Queries of the DRP tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.interop.drp.models import DrpAgent, DrpRequest, DrpToken
from lawful.requests.models import RightsRequest


def get_agent(session: Session, *, agent_id: str) -> DrpAgent | None:
    return session.get(DrpAgent, agent_id)


def list_agents(session: Session) -> Sequence[DrpAgent]:
    return session.scalars(select(DrpAgent).order_by(DrpAgent.id)).all()


def agent_for_token(session: Session, *, token_hash: str) -> DrpAgent | None:
    return session.scalars(
        select(DrpAgent).join(DrpToken).where(DrpToken.token_hash == token_hash)
    ).first()


def get_request(session: Session, *, request_id: str) -> DrpRequest | None:
    return session.get(DrpRequest, request_id)


def for_rights_request(session: Session, *, rights_request_id: str) -> DrpRequest | None:
    return session.scalars(
        select(DrpRequest).where(DrpRequest.rights_request_id == rights_request_id)
    ).first()


def rights_request(session: Session, *, drp: DrpRequest) -> RightsRequest | None:
    if drp.rights_request_id is None:
        return None
    return session.get(RightsRequest, drp.rights_request_id)
