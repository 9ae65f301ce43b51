"""Every receipt carries the fields DESIGN.md §6 requires (ISO/IEC TS 27560) and the
mandatory fields of a Kantara Consent Receipt v1.1, filled from the data map."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lawful.consent.errors import ConsentNotFoundError
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.receipts import KANTARA_FIELDS, RECORD_FIELDS, build_receipt
from lawful.consent.service import ConsentEntry, record_consent
from lawful.datamap.models import DataMap
from lawful.store.crypto import Keyring

from .conftest import NOW

URL = "https://privacy.lanternfish.example"


@pytest.fixture
def events(db: Session, shop: DataMap, keyring: Keyring) -> list[ConsentEvent]:
    made: list[ConsentEvent] = []
    for step, state in enumerate([ConsentState.given, ConsentState.withdrawn]):
        entry = ConsentEntry(
            subject="email:ann@example.org",
            state=state,
            channel="web_form",
            method="checkbox",
            purposes=("newsletter",),
            language="en-GB",
        )
        made += record_consent(
            db,
            datamap=shop,
            keyring=keyring,
            entry=entry,
            actor="subject",
            now=NOW + timedelta(minutes=step),
        )
    return made


def receipt(
    db: Session,
    shop: DataMap,
    keyring: Keyring,
    event_id: str,
    kind: str,
    index: str | None = None,
) -> dict[str, Any]:
    return build_receipt(
        db, datamap=shop, keyring=keyring, public_url=URL, event_id=event_id, kind=kind, index=index
    )


def test_the_iso_27560_record_has_every_mandatory_field_filled(
    db: Session, shop: DataMap, keyring: Keyring, events: list[ConsentEvent]
) -> None:
    record = receipt(db, shop, keyring, events[0].uid, "iso27560")
    missing = [name for name in RECORD_FIELDS if record.get(name) in (None, [], {}, "")]
    assert missing == []
    assert record["pii_principal_id"] == "email:ann@example.org"
    assert record["notice"]["version"] == "3"
    assert len(record["notice"]["sha256"]) == 64
    assert record["language"] == "en-GB"
    assert record["purposes"][0]["legal_basis"] == "consent"
    assert {c["id"] for c in record["personal_data"]} >= {"contact.email", "name"}
    assert record["controllers"][0]["name"] == "Lanternfish Goods SAS"
    assert record["storage_locations"] == [{"system": "CRM", "country": "FR"}]
    assert any("3 years" in r["text"] for r in record["retention"])
    assert record["jurisdictions"] == ["gdpr", "fr", "ccpa"]
    assert record["recipients"][0]["name"] == "Postwick Mailing SARL"
    assert record["withdrawal"]["method"] == "The unsubscribe link in every email."
    assert [(e["state"], e["id"]) for e in record["events"]] == [
        ("given", events[0].uid),
        ("withdrawn", events[1].uid),
    ]


def test_the_kantara_receipt_has_every_mandatory_field(
    db: Session, shop: DataMap, keyring: Keyring, events: list[ConsentEvent]
) -> None:
    cr = receipt(db, shop, keyring, events[0].uid, "kantara")
    assert [name for name in KANTARA_FIELDS if name not in cr] == []
    assert cr["version"] == "KI-CR-v1.1.0"
    assert cr["jurisdiction"] == "FR"
    assert cr["consentTimestamp"] == int(NOW.timestamp())
    assert uuid.UUID(cr["consentReceiptID"]).hex == events[0].uid
    controller = cr["piiControllers"][0]
    assert all(controller[k] for k in ("piiController", "contact", "address", "email", "phone"))
    purpose = cr["services"][0]["purposes"][0]
    assert all(
        k in purpose
        for k in (
            "purpose",
            "purposeCategory",
            "consentType",
            "piiCategory",
            "termination",
            "thirdPartyDisclosure",
        )
    )
    assert cr["sensitive"] is False
    assert cr["spiCat"] == []


def test_a_person_cannot_open_someone_elses_receipt(
    db: Session, shop: DataMap, keyring: Keyring, events: list[ConsentEvent]
) -> None:
    other = keyring.index("email:bob@example.org")
    with pytest.raises(ConsentNotFoundError):
        receipt(db, shop, keyring, events[0].uid, "kantara", index=other)
    with pytest.raises(ConsentNotFoundError):
        receipt(db, shop, keyring, "0" * 32, "iso27560")
