"""The legal holds form: a person by email (sealed, matched by blind index), every mistake
beside its field at once, hostile input refused by field rather than by the database."""

from __future__ import annotations

import re

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.retention.models import LegalHold, LegalHoldPerson
from lawful.retention.service import value_index
from lawful.store.audit import AuditEntry

from .conftest import Web, csrf

FIELD_ERROR = re.compile(r'<p class="field-error" id="([a-z_]+)-error">')


def test_a_hold_on_a_person_by_email_keeps_only_its_seal_and_blind_index(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/holds")
    placed = officer.post("/admin/holds", data={
        "csrf_token": csrf(page), "scope": "person", "email": "Ann.Claim@People.example",
        "reason": "Tribunal claim", "owner": "Counsel",
    })  # fmt: skip
    assert placed.status_code == 303, placed.text
    with web.platform.sessions() as session:
        [person] = session.scalars(select(LegalHoldPerson)).all()
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "legal_hold.placed")
        ).all()
    keyring = web.platform.keyring
    assert value_index(keyring, "email", "ann.claim@people.example") in person.value_indexes
    assert b"ann.claim" not in person.identity_sealed.lower()
    assert "ann.claim" not in str(entry.details).lower()
    assert "a…@people.example" in officer.get("/admin/holds").text


def test_every_mistake_is_named_beside_its_field_and_nothing_is_stored(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/holds")
    empty = officer.post("/admin/holds", data={"csrf_token": csrf(page), "scope": "person",
                                               "email": "not an address"})  # fmt: skip
    assert empty.status_code == 422
    assert set(FIELD_ERROR.findall(empty.text)) == {"reason", "owner", "email"}
    hostile = officer.post("/admin/holds", data={
        "csrf_token": csrf(page), "scope": "case", "reference": "Case\x00 1",
        "reason": "<script>x</script>\x1b", "owner": "Counsel", "datasets": ["prospects"],
    })  # fmt: skip
    assert hostile.status_code == 422
    assert set(FIELD_ERROR.findall(hostile.text)) == {"reference", "reason"}
    assert "<script>x</script>" not in hostile.text
    wrong_scope = officer.post("/admin/holds", data={
        "csrf_token": csrf(page), "scope": "case", "reason": "Claim", "owner": "Counsel",
        "datasets": ["prospects"],
    })  # fmt: skip
    assert FIELD_ERROR.findall(wrong_scope.text) == ["scope"]
    with web.platform.sessions() as session:
        assert session.scalars(select(LegalHold)).all() == []
