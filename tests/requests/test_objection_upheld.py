"""An objection request (GDPR Art. 21(1)) staff uphold is written to the consent ledger for
the purposes it covers; the consent check then refuses them, and only them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from lawful.consent.service import check_consent
from lawful.markers.hooks import decision_hook
from lawful.markers.models import Marker
from lawful.requests import hooks
from lawful.requests.errors import InvalidInputError
from lawful.requests.objection import objectable_purposes
from lawful.requests.service import approve_request, complete_request, verify_request
from lawful.requests.states import RequestStatus

from .conftest import World


@dataclass
class Recorder:
    ids: list[str] = field(default_factory=list)

    def dispatch(self, task_ids: Sequence[str], *, lane: str = "jobs") -> None:
        self.ids.extend(task_ids)


def _allowed(world: World, email: str, purpose: str, channel: str = "email") -> str:
    with world.session() as session:
        decision = check_consent(session, datamap=world.ctx.datamap, keyring=world.ctx.keyring,
                                 subject=f"email:{email}", purpose=purpose, channel=channel)  # fmt: skip
    return decision.reason


def _objection(world: World) -> tuple[str, str]:
    email = f"objector-{uuid.uuid4().hex[:12]}@example.org"  # the PostgreSQL store is shared
    reference = world.submit(
        request_type="objection", email=email, country="FR", message="Stop profiling me."
    ).request.reference
    with world.session() as session:
        verify_request(session, ctx=world.ctx, reference=reference, code=world.code(),
                       now=world.clock.now)  # fmt: skip
    with world.session() as session:
        approve_request(session, ctx=world.ctx, reference=reference, actor="staff:1",
                        now=world.clock.now)  # fmt: skip
    return reference, email


def test_an_upheld_objection_makes_the_check_refuse_the_purpose(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = Recorder()
    monkeypatch.setitem(hooks.DECISION_HOOKS, "markers", decision_hook(queue))
    reference, email = _objection(world)
    assert _allowed(world, email, "customer_relationship") == "legal_basis"
    with world.session() as session:
        complete_request(session, ctx=world.ctx, reference=reference, actor="staff:1",
                         note="Upheld: no compelling grounds.",
                         objected=["customer_relationship"])  # fmt: skip
    stored = world.request(reference)
    assert stored.status is RequestStatus.completed
    assert _allowed(world, email, "customer_relationship") == "objected"
    assert _allowed(world, email, "contract_performance") == "legal_basis"  # not objected
    index = world.ctx.keyring.index  # markers: on each dataset used for the purpose
    with world.session() as session:
        objected = {
            m.dataset
            for m in session.scalars(select(Marker).where(Marker.kind == "objection"))
            if m.person_index == index(f"marker\x00{m.dataset}\x00email={email}")
        }
    expected = {
        did
        for did, dataset in world.ctx.datamap.datasets.items()
        if "customer_relationship" in dataset.purposes
    }
    assert expected
    assert objected == expected


def test_a_purpose_on_contract_is_refused_and_the_request_stays_open(world: World) -> None:
    reference, email = _objection(world)
    with world.session() as session, pytest.raises(InvalidInputError, match="rests on contract"):
        complete_request(session, ctx=world.ctx, reference=reference, actor="staff:1",
                         objected=["billing"])  # fmt: skip
    assert world.request(reference).status is RequestStatus.running
    assert _allowed(world, email, "customer_relationship") == "legal_basis"


def test_the_form_offers_only_purposes_a_person_may_object_to(world: World) -> None:
    offered = {pid for pid, _ in objectable_purposes(world.ctx)}
    assert "customer_relationship" in offered
    assert offered.isdisjoint({"billing", "email_marketing", "payroll"})
