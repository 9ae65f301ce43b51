"""The ledger records choices, derives the current state from them, and answers checks with
the reason and the deciding event — on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lawful.consent.errors import ConsentInputError
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.notices import publish_notice, reconsent_count, reconsent_list
from lawful.consent.rules import Decision
from lawful.consent.service import (
    EVIDENCE_CONTEXT,
    ConsentEntry,
    Evidence,
    check_consent,
    object_to_marketing,
    record_consent,
    withdraw_consent,
)
from lawful.datamap.models import DataMap
from lawful.engine.erasure import suppression_entries
from lawful.engine.repository import add_suppressions
from lawful.law.minimisation import truncate_ip
from lawful.store.audit import AuditEntry
from lawful.store.crypto import Keyring

from .conftest import NOW

ANN = "email:ann@example.org"


def give(
    db: Session, shop: DataMap, keyring: Keyring, subject: str = ANN, **fields: Any
) -> list[ConsentEvent]:
    entry = ConsentEntry(
        **{
            "subject": subject,
            "state": ConsentState.given,
            "channel": "web_form",
            "method": "checkbox",
            "purposes": ("newsletter",),
            **fields,
        }
    )
    return record_consent(db, datamap=shop, keyring=keyring, entry=entry, actor="staff:1", now=NOW)


def check(
    db: Session,
    shop: DataMap,
    keyring: Keyring,
    purpose: str = "newsletter",
    channel: str = "email",
    subject: str = ANN,
    after: timedelta = timedelta(minutes=1),
) -> Decision:
    return check_consent(
        db,
        datamap=shop,
        keyring=keyring,
        subject=subject,
        purpose=purpose,
        channel=channel,
        now=NOW + after,
    )


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(ConsentEvent)) or 0


def test_without_any_event_consent_based_marketing_is_denied(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    decision = check(db, shop, keyring)
    assert (decision.allowed, decision.reason, decision.event) == (False, "no_consent", None)


def test_given_consent_allows_and_names_the_deciding_event(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    [event] = give(db, shop, keyring)
    decision = check(db, shop, keyring)
    assert decision.allowed
    assert decision.reason == "consent_given"
    assert decision.event is not None
    assert decision.event.uid == event.uid


def test_withdrawing_is_the_same_call_and_wins_over_the_earlier_consent(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(db, shop, keyring)
    entry = ConsentEntry(
        subject="Ann@Example.ORG",
        state=ConsentState.given,
        channel="email",
        method="reply",
        purposes=("newsletter",),
    )
    [withdrawal] = withdraw_consent(
        db,
        datamap=shop,
        keyring=keyring,
        entry=entry,
        actor="subject",
        now=NOW + timedelta(seconds=30),
    )
    decision = check(db, shop, keyring)
    assert (decision.allowed, decision.reason) == (False, "withdrawn")
    assert decision.event is not None
    assert decision.event.uid == withdrawal.uid


def test_an_address_is_normalised_so_case_and_spaces_find_the_same_person(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(db, shop, keyring, subject="  ANN@example.org ")
    assert check(db, shop, keyring, subject="ann@EXAMPLE.org").allowed


def test_a_consent_lapses_after_the_purposes_lifetime(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    [event] = give(db, shop, keyring)
    assert event.expires_at == NOW.replace(year=2028)  # newsletter: consent.expires P2Y
    decision = check(db, shop, keyring, after=timedelta(days=731))
    assert (decision.allowed, decision.reason) == (False, "expired")


def test_an_unknown_purpose_is_refused_and_nothing_is_stored(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    with pytest.raises(ConsentInputError, match="unknown purpose 'newsleter'") as caught:
        give(db, shop, keyring, purposes=("newsletter", "newsleter"))
    assert caught.value.field == "purpose"
    assert caught.value.http_status == 422
    assert count(db) == 0


@pytest.mark.parametrize(("subject", "message"), [
    ("email:not-an-address", "is not an email address"),
    ("fax:+33100000000", "unknown subject type 'fax'"),
    ("phone:12ab", "is not a phone number|holds characters"),
    ("browser:short", "browser id"),
    ("just words", "write TYPE:VALUE"),
])  # fmt: skip
def test_a_malformed_subject_is_refused_clearly(
    db: Session, shop: DataMap, keyring: Keyring, subject: str, message: str
) -> None:
    with pytest.raises(ConsentInputError, match=message):
        give(db, shop, keyring, subject=subject)
    assert count(db) == 0


def test_a_choice_dated_in_the_future_is_refused(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    with pytest.raises(ConsentInputError, match="future"):
        give(db, shop, keyring, at=NOW + timedelta(hours=1))


def test_legitimate_interest_marketing_is_allowed_until_the_person_objects(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    phone = "phone:+33 6 12 34 56 78"
    assert (
        check(db, shop, keyring, purpose="calls", channel="phone", subject=phone).reason
        == "legal_basis"
    )
    entry = ConsentEntry(
        subject="mobile:0612345678",
        state=ConsentState.refused,
        channel="phone",
        method="verbal",
        purposes=("calls",),
    )
    record_consent(db, datamap=shop, keyring=keyring, entry=entry, actor="staff:1", now=NOW)
    decision = check(db, shop, keyring, purpose="calls", channel="phone", subject=phone)
    assert (decision.allowed, decision.reason) == (False, "objected")


def test_a_channel_switched_off_as_a_whole_stops_every_purpose_on_it(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(db, shop, keyring, purposes=("newsletter",))
    entry = ConsentEntry(
        subject=ANN,
        state=ConsentState.withdrawn,
        channel="web_form",
        method="preference_center",
        contact_channel="email",
    )
    record_consent(
        db,
        datamap=shop,
        keyring=keyring,
        entry=entry,
        actor="subject",
        now=NOW + timedelta(seconds=10),
    )
    assert check(db, shop, keyring).reason == "channel_opted_out"
    assert check(db, shop, keyring, channel="sms").reason == "consent_given"


def test_a_channel_the_map_does_not_declare_for_the_purpose_is_denied(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(db, shop, keyring)
    assert check(db, shop, keyring, channel="post").reason == "channel_not_declared"


def test_an_erased_person_on_the_suppression_list_is_never_marketed_to(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(db, shop, keyring)
    add_suppressions(db, entries=suppression_entries(keyring, [("email", "ann@example.org")]))
    decision = check(db, shop, keyring)
    assert (decision.allowed, decision.reason) == (False, "suppressed")
    assert check(db, shop, keyring, purpose="orders", channel="post").allowed


def test_an_objection_to_direct_marketing_suppresses_every_marketing_purpose(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    events = object_to_marketing(
        db,
        datamap=shop,
        keyring=keyring,
        subject="mobile:+33612345678",
        channel="phone",
        actor="staff:1",
        now=NOW,
    )
    assert {e.purpose for e in events} == {"newsletter", "calls", "ads"}
    assert (
        check(
            db, shop, keyring, purpose="calls", channel="phone", subject="phone:+33612345678"
        ).reason
        == "suppressed"
    )


def test_the_ledger_refuses_to_change_an_event_in_the_database_itself(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(db, shop, keyring)
    db.flush()
    with pytest.raises(Exception, match="append-only"):
        db.execute(text("UPDATE consent_events SET state = 'withdrawn'"))


def test_every_event_points_at_the_notice_text_in_force_and_is_audited(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    notice = publish_notice(
        db,
        datamap=shop,
        actor="staff:1",
        material=False,
        version="3.1",
        now=NOW - timedelta(days=1),
    )
    [event] = give(db, shop, keyring)
    assert (event.notice_version, event.notice_sha256) == ("3.1", notice.sha256)
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["consent.notice_published", "consent.given"]


def test_a_material_notice_change_requires_fresh_consent_and_lists_who_to_ask(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(db, shop, keyring, subject="email:bob@example.org")
    give(db, shop, keyring, subject=ANN)
    publish_notice(
        db,
        datamap=shop,
        actor="staff:1",
        material=True,
        version="4",
        now=NOW + timedelta(minutes=1),
    )
    give(db, shop, keyring, subject=ANN, at=NOW + timedelta(minutes=2))
    assert (
        check(db, shop, keyring, subject="email:bob@example.org", after=timedelta(minutes=3)).reason
        == "reconsent_required"
    )
    assert check(db, shop, keyring, after=timedelta(minutes=3)).reason == "consent_given"
    listed = reconsent_list(db, datamap=shop, keyring=keyring, now=NOW + timedelta(minutes=3))
    assert [(e.subject, e.purpose) for e in listed] == [("email:bob@example.org", "newsletter")]


def test_only_running_consents_given_before_a_material_change_are_asked_again(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    people = {n: f"email:{n}@example.org" for n in ("kept", "withdrew", "renewed", "after")}
    for subject in [people["kept"], people["withdrew"], people["renewed"]]:
        give(db, shop, keyring, subject=subject)
    give(db, shop, keyring, subject=people["withdrew"], state=ConsentState.withdrawn,
         at=NOW + timedelta(seconds=30))  # fmt: skip
    publish_notice(db, datamap=shop, actor="staff:1", material=True, version="5",
                   now=NOW + timedelta(minutes=1))  # fmt: skip
    give(db, shop, keyring, subject=people["renewed"], at=NOW + timedelta(minutes=2))
    give(db, shop, keyring, subject=people["after"], at=NOW + timedelta(minutes=2))
    soon, years_later = NOW + timedelta(minutes=3), NOW + timedelta(days=3 * 365)
    listed = reconsent_list(db, datamap=shop, keyring=keyring, now=soon)
    assert [e.subject for e in listed] == [people["kept"]]
    assert reconsent_count(db, datamap=shop, now=soon) == 1
    # Once that consent has lapsed there is nothing left to renew: it is simply gone.
    assert reconsent_list(db, datamap=shop, keyring=keyring, now=years_later) == []
    assert reconsent_count(db, datamap=shop, now=years_later) == 0


def test_evidence_keeps_only_the_network_of_the_ip_and_is_encrypted(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    evidence = Evidence(form={"label": "Send me offers"}, ip="203.0.113.77", user_agent="Firefox")
    [event] = give(db, shop, keyring, evidence=evidence)
    assert event.evidence_sealed is not None
    assert b"203.0.113" not in event.evidence_sealed
    opened = keyring.decrypt_json(event.evidence_sealed, context=EVIDENCE_CONTEXT)
    assert opened["ip"] == "203.0.113.0/24"
    assert opened["form"] == {"label": "Send me offers"}


def test_ip_addresses_are_cut_to_24_and_48_bits() -> None:
    assert truncate_ip("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert truncate_ip("198.51.100.200") == "198.51.100.0/24"
    assert truncate_ip("not an ip") is None
