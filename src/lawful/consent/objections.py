"""Objection to processing (GDPR Art. 21): written to the consent ledger, so the consent
check answers "no" for that person and purpose (reason `objected`) from the next check.

Art. 21(1): a person may object to processing based on a public task or on legitimate
interests (Art. 6(1)(e) or (f)); the controller stops unless it shows compelling grounds,
which staff weigh before recording the objection here. Art. 21(2)–(3): an objection to direct
marketing is absolute, so a marketing purpose also puts the person on the suppression list.
The ledger keeps it as a withdrawal-like event (state `withdrawn`, method `objection`), so
receipts and history show it the way they show a withdrawal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lawful.consent.errors import ConsentInputError
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.policy import policy_for
from lawful.consent.service import (
    ConsentEntry,
    purpose_rule,
    record_consent,
    suppression_entries,
)
from lawful.consent.subjects import parse_subject
from lawful.datamap.models import DataMap, LegalBasis
from lawful.engine.repository import add_suppressions
from lawful.store.crypto import Keyring

# GDPR Art. 21(1): the bases a person may object to (a public task, legitimate interests).
OBJECTABLE = frozenset({LegalBasis.public_task, LegalBasis.legitimate_interests})


def object_to_purposes(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    subject: str,
    purposes: list[str],
    channel: str,
    actor: str,
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """Record an Art. 21 objection to each purpose; refuses (storing nothing) a purpose
    that rests on consent (withdraw it instead) or on a basis Art. 21(1) does not reach."""
    policy = policy_for(datamap)
    if not purposes:
        raise ConsentInputError("name the purposes the person objects to", field="purposes")
    rules = [purpose_rule(policy, p) for p in dict.fromkeys(purposes)]
    for rule in rules:
        if rule.consent_based:
            raise ConsentInputError(
                f"purpose {rule.id!r} rests on consent: record a withdrawal (GDPR Art. 7(3)) "
                "instead of an objection",
                field="purposes",
            )
        if rule.basis not in OBJECTABLE and not rule.marketing:
            basis = rule.basis.value if rule.basis else "no legal basis"
            raise ConsentInputError(
                f"purpose {rule.id!r} rests on {basis}: GDPR Art. 21(1) covers only a "
                "public task or legitimate interests; handle the request as a complaint or "
                "an erasure instead",
                field="purposes",
            )
    entry = ConsentEntry(
        subject=subject,
        state=ConsentState.withdrawn,
        channel=channel,
        method="objection",
        purposes=tuple(rule.id for rule in rules),
    )
    events = record_consent(
        session, datamap=datamap, keyring=keyring, entry=entry, actor=actor, now=now
    )
    if any(rule.marketing for rule in rules):  # Art. 21(3): never again, whatever the channel
        person = parse_subject(subject, policy=policy)
        add_suppressions(session, entries=suppression_entries(policy, keyring, person))
    return events
