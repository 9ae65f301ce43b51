"""An Art. 21(1) objection is written to the ledger and the consent check refuses the
objected purpose (and only it); Art. 21(3): an objection to marketing is absolute."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.consent.errors import ConsentInputError
from lawful.consent.models import ConsentEvent
from lawful.consent.objections import object_to_purposes
from lawful.consent.service import check_consent
from lawful.datamap.models import DataMap
from lawful.engine.models import Suppression
from lawful.store.audit import AuditEntry
from lawful.store.crypto import Keyring

from .conftest import NOW

ANN = "email:ann@example.org"


def object_to(db: Session, shop: DataMap, keyring: Keyring, *purposes: str) -> None:
    object_to_purposes(
        db,
        datamap=shop,
        keyring=keyring,
        subject=ANN,
        purposes=list(purposes),
        channel="email",
        actor="staff:dpo",
        now=NOW,
    )


def reason(db: Session, shop: DataMap, keyring: Keyring, purpose: str, channel: str) -> str:
    decision = check_consent(
        db, datamap=shop, keyring=keyring, subject=ANN, purpose=purpose, channel=channel, now=NOW
    )
    return decision.reason if not decision.allowed else f"allowed:{decision.reason}"


def test_the_check_refuses_the_objected_purpose_and_only_it(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    assert reason(db, shop, keyring, "measurement", "web") == "allowed:legal_basis"
    object_to(db, shop, keyring, "measurement")
    db.flush()  # the fixture rolls back: other tests never see it
    assert reason(db, shop, keyring, "measurement", "web") == "objected"
    assert reason(db, shop, keyring, "orders", "email") == "allowed:legal_basis"
    event = db.scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
    assert event is not None
    assert (event.state.value, event.method) == ("withdrawn", "objection")  # withdrawal-like
    assert "consent.withdrawn" in set(db.scalars(select(AuditEntry.action)))
    assert reason(db, shop, keyring, "calls", "phone") == "allowed:legal_basis"  # not suppressed


def test_an_objection_to_a_marketing_purpose_is_absolute(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    before = len(db.scalars(select(Suppression.id)).all())
    object_to(db, shop, keyring, "calls")
    db.flush()  # the fixture rolls back: other tests never see it
    assert reason(db, shop, keyring, "calls", "phone") in {"objected", "suppressed"}
    assert len(db.scalars(select(Suppression.id)).all()) > before  # Art. 21(3): never again


@pytest.mark.parametrize(
    ("purpose", "says"),
    [("newsletter", "rests on consent"), ("orders", "rests on contract")],
)
def test_an_objection_to_a_purpose_it_cannot_reach_is_refused_and_stores_nothing(
    db: Session, shop: DataMap, keyring: Keyring, purpose: str, says: str
) -> None:
    before = len(db.scalars(select(ConsentEvent.id)).all())
    with pytest.raises(ConsentInputError, match=says):
        object_to(db, shop, keyring, "measurement", purpose)
    assert len(db.scalars(select(ConsentEvent.id)).all()) == before


def test_an_objection_naming_no_purpose_is_refused(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    with pytest.raises(ConsentInputError, match="name the purposes"):
        object_to(db, shop, keyring)
