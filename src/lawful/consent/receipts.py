"""Consent receipts: an ISO/IEC TS 27560 consent record and a Kantara Consent Receipt v1.1.

Both describe one ledger event together with what the data map says about its purpose: who
the controller is, which data, kept where and how long, shared with whom, how to withdraw,
and the person's history for that purpose. `RECORD_FIELDS` and `KANTARA_FIELDS` list the
fields every receipt carries (DESIGN.md §6; Kantara CR v1.1 §4 mandatory fields).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.errors import ConsentNotFoundError
from lawful.consent.models import ConsentEvent
from lawful.consent.service import SUBJECT_CONTEXT
from lawful.datamap import facts
from lawful.datamap.models import Address, DataMap, Purpose
from lawful.store.crypto import Keyring

RECORD_FIELDS = (
    "record_id",
    "pii_principal_id",
    "notice",
    "language",
    "purposes",
    "personal_data",
    "controllers",
    "storage_locations",
    "retention",
    "jurisdictions",
    "recipients",
    "withdrawal",
    "events",
    "state",
)
KANTARA_FIELDS = (
    "version",
    "jurisdiction",
    "consentTimestamp",
    "collectionMethod",
    "consentReceiptID",
    "language",
    "piiPrincipalId",
    "piiControllers",
    "policyUrl",
    "services",
    "sensitive",
    "spiCat",
)
KANTARA_VERSION = "KI-CR-v1.1.0"
DEFAULT_WITHDRAWAL = "Use the preference center link in our emails, or write to us"


def build_receipt(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    public_url: str,
    event_id: str,
    kind: str,
    index: str | None = None,
) -> dict[str, Any]:
    """The receipt (`iso27560` or `kantara`) of a ledger event; with `index`, only when the
    event is that subject's own (a person's link cannot open someone else's receipt)."""
    event = repository.event_by_uid(session, uid=event_id[:32])
    if event is None or (index is not None and event.subject_index != index):
        raise ConsentNotFoundError("There is no consent with this id.")
    if kind == "kantara":
        return kantara_receipt(event, datamap=datamap, keyring=keyring, public_url=public_url)
    history = repository.subject_events(session, index=event.subject_index, purpose=event.purpose)
    return consent_record(
        event, history=history, datamap=datamap, keyring=keyring, public_url=public_url
    )


def consent_record(
    event: ConsentEvent,
    *,
    history: list[ConsentEvent],
    datamap: DataMap,
    keyring: Keyring,
    public_url: str,
) -> dict[str, Any]:
    """The ISO/IEC TS 27560 record of `event`; `history` is the subject's events for the
    same purpose, oldest first."""
    purpose = datamap.purposes.get(event.purpose or "")
    pid = event.purpose or ""
    return {
        "schema": "ISO/IEC TS 27560:2023 consent record",
        "record_id": event.uid,
        "created": event.recorded_at.isoformat(),
        "pii_principal_id": _subject(event, keyring),
        "notice": {
            "version": event.notice_version,
            "sha256": event.notice_sha256,
            "language": event.language,
            "url": _notice_url(datamap, public_url),
        },
        "language": event.language,
        "purposes": [_purpose(datamap, pid, purpose)] if purpose else [],
        "personal_data": _categories(datamap, pid) if purpose else [],
        "controllers": [_controller(datamap)],
        "storage_locations": _locations(datamap, pid) if purpose else [],
        "retention": _retention(datamap, pid, purpose, event),
        "jurisdictions": [j.value for j in datamap.organization.jurisdictions],
        "recipients": _recipients(datamap, pid) if purpose else [],
        "withdrawal": {"method": _withdrawal(purpose), "url": f"{public_url.rstrip('/')}/privacy"},
        "collection": {"channel": event.channel, "method": event.method, "actor": event.actor},
        "state": event.state.value,
        "events": [_event(e) for e in history],
    }


def kantara_receipt(
    event: ConsentEvent, *, datamap: DataMap, keyring: Keyring, public_url: str
) -> dict[str, Any]:
    """The Kantara Initiative Consent Receipt v1.1 of `event` (unsigned JSON)."""
    org = datamap.organization
    pid = event.purpose or ""
    purpose = datamap.purposes.get(pid)
    special = [
        c
        for c in (facts.purpose_categories(datamap, pid) if purpose else [])
        if facts.is_sensitive_pi(datamap, c)
    ]
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": org.address.country,
        "consentTimestamp": int(event.at.timestamp()),
        "collectionMethod": f"{event.channel}: {event.method}",
        "consentReceiptID": str(uuid.UUID(hex=event.uid)),
        "language": event.language,
        "piiPrincipalId": _subject(event, keyring),
        "piiControllers": [_kantara_controller(datamap)],
        "policyUrl": _notice_url(datamap, public_url),
        "services": [
            {
                "service": org.trading_name or org.name,
                "purposes": [_kantara_purpose(datamap, pid, purpose)] if purpose else [],
            }
        ],
        "sensitive": bool(special),
        "spiCat": [facts.category_name(datamap, c) for c in special],
    }


def _subject(event: ConsentEvent, keyring: Keyring) -> str:
    return keyring.decrypt(event.subject_sealed, context=SUBJECT_CONTEXT).decode()


def _notice_url(datamap: DataMap, public_url: str) -> str:
    return f"{public_url.rstrip('/')}/privacy/notice"


def _purpose(datamap: DataMap, pid: str, purpose: Purpose) -> dict[str, Any]:
    return {
        "id": pid,
        "name": purpose.name,
        "description": purpose.description,
        "legal_basis": purpose.legal_basis.value if purpose.legal_basis else None,
        "legal_basis_text": facts.legal_basis_name(purpose.legal_basis),
        "dpv": purpose.dpv,
        "direct_marketing": purpose.direct_marketing,
        "sale": purpose.sale,
        "sharing": purpose.sharing,
    }


def _categories(datamap: DataMap, pid: str) -> list[dict[str, Any]]:
    return [
        {
            "id": c,
            "name": facts.category_name(datamap, c),
            "sensitivity": facts.sensitivity(datamap, c).value,
        }
        for c in facts.purpose_categories(datamap, pid)
    ]


def _controller(datamap: DataMap) -> dict[str, Any]:
    org = datamap.organization
    return {
        "name": org.name,
        "address": org.address.one_line(),
        "email": org.contact.email,
        "phone": org.contact.phone,
        "url": org.website,
        "dpo": facts.contact_lines(org.dpo) or None,
    }


def _locations(datamap: DataMap, pid: str) -> list[dict[str, str]]:
    systems = facts.unique(d.system for d in facts.purpose_datasets(datamap, pid).values())
    return [
        {"system": datamap.systems[s].name, "country": datamap.systems[s].location}
        for s in systems
        if s in datamap.systems
    ]


def _retention(
    datamap: DataMap, pid: str, purpose: Purpose | None, event: ConsentEvent
) -> list[dict[str, Any]]:
    rules = facts.purpose_retention(datamap, pid) if purpose else {}
    found: list[dict[str, Any]] = [
        {"rule": rid, "period": rule.period, "text": facts.retention_limit(datamap, rule)}
        for rid, rule in rules.items()
    ]
    if event.expires_at is not None:
        found.append(
            {
                "rule": "consent_lifetime",
                "expires": event.expires_at.isoformat(),
                "text": "The consent lapses then and is asked for again.",
            }
        )
    return found or [{"rule": "none", "text": facts.NOT_DECLARED}]


def _recipients(datamap: DataMap, pid: str) -> list[dict[str, Any]]:
    found = []
    for rid in facts.purpose_recipients(datamap, pid):
        recipient = datamap.recipients[rid]
        transfer = facts.recipient_transfer(recipient)
        found.append(
            {
                "id": rid,
                "name": recipient.name,
                "role": recipient.role.value,
                "country": recipient.country,
                "transfer": str(transfer) if transfer else None,
            }
        )
    return found


def _withdrawal(purpose: Purpose | None) -> str:
    if purpose is not None and purpose.consent and purpose.consent.withdrawal:
        return purpose.consent.withdrawal
    return DEFAULT_WITHDRAWAL


def _event(event: ConsentEvent) -> dict[str, Any]:
    return {
        "id": event.uid,
        "time": event.at.isoformat(),
        "state": event.state.value,
        "channel": event.channel,
        "method": event.method,
        "contact_channel": event.contact_channel,
        "notice_version": event.notice_version,
        "notice_sha256": event.notice_sha256,
        "actor": event.actor,
        "expires": event.expires_at.isoformat() if event.expires_at else None,
    }


def _postal(address: Address) -> dict[str, str | None]:
    return {
        "streetAddress": address.street,
        "addressLocality": address.city,
        "addressRegion": address.region,
        "postalCode": address.postal_code,
        "addressCountry": address.country,
    }


def _kantara_controller(datamap: DataMap) -> dict[str, Any]:
    org = datamap.organization
    contact = org.dpo or org.contact
    return {
        "piiController": org.name,
        "onBehalf": False,
        "contact": contact.name or "Privacy office",
        "address": _postal(org.address),
        "email": contact.email or org.contact.email,
        "phone": contact.phone or org.contact.phone,
        "piiControllerUrl": org.website,
    }


def _kantara_purpose(datamap: DataMap, pid: str, purpose: Purpose) -> dict[str, Any]:
    recipients = [
        datamap.recipients[r]
        for r in facts.purpose_recipients(datamap, pid)
        if datamap.recipients[r].role.value not in ("processor", "sub_processor")
    ]
    return {
        "purpose": purpose.description or purpose.name,
        "purposeCategory": [purpose.dpv or pid],
        "consentType": "EXPLICIT",
        "piiCategory": [
            facts.category_name(datamap, c) for c in facts.purpose_categories(datamap, pid)
        ],
        "primaryPurpose": True,
        "termination": _withdrawal(purpose),
        "thirdPartyDisclosure": bool(recipients),
        "thirdPartyName": ", ".join(r.name for r in recipients) or None,
    }
