"""Intake refuses bad input with the field at fault and stores nothing half-way; what it
stores about the person is sealed and blind-indexed, never in clear."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from lawful.requests.errors import InvalidInputError
from lawful.requests.identity import open_identity
from lawful.requests.mail import MemoryMailer
from lawful.requests.models import RightsRequest
from lawful.requests.service import deny_request
from lawful.store.audit import AuditEntry

from .conftest import World


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"request_type": "delete_everything"}, "type", "not a request type"),
        ({"email": "ann.example.org"}, "email", "not an email address"),
        ({"email": "ann@example"}, "email", "not an email address"),
        ({"country": "France"}, "country", "two-letter"),
        ({"phone": "call me maybe"}, "phone", "not a phone number"),
        ({"identifiers": {"shoe_size": "42"}}, "identifiers", "Unknown identifier"),
        ({"purpose": "world_domination"}, "purpose", "not one of our purposes"),
        ({"request_type": "rectification"}, "corrections", "what is wrong"),
        (
            {"request_type": "rectification", "corrections": {"nowhere.field": "x"}},
            "corrections",
            "names no field",
        ),
        ({"channel": "pigeon"}, "channel", "Unknown channel"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_stored(
    world: World, fields: dict[str, Any], field: str, says: str
) -> None:
    wanted = {"request_type": "access", "email": "ann@example.org", "country": "FR", **fields}
    with world.sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        requests_before = session.scalar(select(func.count()).select_from(RightsRequest))
    with pytest.raises(InvalidInputError, match=says) as refused:
        world.submit(**wanted)
    assert refused.value.field == field
    assert refused.value.http_status == 422
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert session.scalar(select(func.count()).select_from(RightsRequest)) == requests_before
    assert isinstance(world.mailer, MemoryMailer)
    assert world.mailer.sent == []


def test_identity_values_are_sealed_and_blind_indexed_never_in_clear(world: World) -> None:
    found = world.submit(
        request_type="access",
        email=" Zoe.Martin@Example.ORG ",
        phone="06 12 34 56 78",
        name="Zoé  Martin",
        address="3 rue des Lilas, 69002 Lyon",
        country="FR",
        identifiers={"customer_id": "C-000042"},
    ).request
    with world.sessions() as session:
        row = (
            session.execute(text("SELECT * FROM rights_requests WHERE id = :i"), {"i": found.id})
            .mappings()
            .one()
        )
        stored = session.get(RightsRequest, found.id)
        assert stored is not None
        person = open_identity(world.ctx.keyring, stored)
    dump = " ".join(str(v) for v in row.values()).lower() + " ".join(
        bytes(v).decode("latin-1").lower()
        for v in row.values()
        if isinstance(v, bytes | memoryview)
    )
    for secret in ("zoe.martin", "612345678", "martin", "lilas", "c-000042"):
        assert secret not in dump
    assert person.email == "zoe.martin@example.org"
    assert person.phone == "+33612345678"
    assert person.name == "Zoé Martin"
    assert person.identifiers == {"customer_id": "C-000042"}
    assert row["email_index"] == world.ctx.keyring.index("email:zoe.martin@example.org")


def test_the_reference_is_random_base32_and_the_status_token_is_not_stored(world: World) -> None:
    first = world.submit(request_type="access", email="a1@example.org", country="FR")
    second = world.submit(request_type="access", email="a1@example.org", country="FR")
    assert first.request.reference != second.request.reference
    assert set(first.request.reference) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    stored = world.request(first.request.reference)
    assert first.status_token not in stored.status_token_hash
    assert first.status_token.encode() not in stored.status_token_sealed


def test_a_request_from_where_no_law_applies_gets_lawfuls_own_target_and_only_one_denial(
    californian_world: World,
) -> None:
    world = californian_world
    found = world.submit(
        request_type="access", email="tex@example.com", country="US", region="TX"
    ).request
    assert found.jurisdiction is None
    assert found.jurisdictions == []
    assert "Lawful's target" in found.respond_by_citation
    with world.session() as session, pytest.raises(InvalidInputError, match="outside_jurisdiction"):
        deny_request(
            session, ctx=world.ctx, reference=found.reference, reason="excessive", actor="s"
        )
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            reason="outside_jurisdiction",
            actor="s",
        )
