"""The expiry job writes each lapsed consent's `expired` event once, in batches, audited
without personal data, and every check answers the same before and after — on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawful.consent import expiry, repository
from lawful.consent.banner import BannerChoice, record_banner_choice
from lawful.consent.expiry import record_expiries
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.service import ConsentEntry, check_consent, record_consent
from lawful.datamap.models import DataMap
from lawful.store.audit import AuditEntry
from lawful.store.crypto import Keyring

from .conftest import NOW

LATER = NOW + timedelta(days=3 * 365)  # past the newsletter's P2Y and any cookie choice


def choose(
    db: Session,
    shop: DataMap,
    keyring: Keyring,
    subject: str,
    state: ConsentState = ConsentState.given,
    after: timedelta = timedelta(0),
    **fields: Any,
) -> list[ConsentEvent]:
    entry = ConsentEntry(**{"subject": subject, "state": state, "channel": "web_form",
                            "method": "checkbox", "purposes": ("newsletter",), **fields})  # fmt: skip
    return record_consent(db, datamap=shop, keyring=keyring, entry=entry, actor="staff:1",
                          now=NOW + after)  # fmt: skip


def answers(
    db: Session, shop: DataMap, keyring: Keyring, subjects: list[str]
) -> list[tuple[Any, ...]]:
    """(subject, channel, allowed, reason, deciding event uid) for every newsletter check."""
    found = []
    for subject in subjects:
        for channel in ("email", "sms"):
            decision = check_consent(db, datamap=shop, keyring=keyring, subject=subject,
                                     purpose="newsletter", channel=channel, now=LATER)  # fmt: skip
            uid = decision.event.uid if decision.event else None
            found.append((subject, channel, decision.allowed, decision.reason, uid))
    return found


def expired_events(db: Session) -> list[ConsentEvent]:
    query = select(ConsentEvent).where(ConsentEvent.state == ConsentState.expired)
    return list(db.scalars(query.order_by(ConsentEvent.id)))


def test_a_lapsed_consent_gets_one_expired_event_and_a_second_run_adds_none(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    [given] = choose(db, shop, keyring, "email:ann@example.org")
    assert record_expiries(db, now=LATER) == 1
    [ended] = expired_events(db)
    assert (ended.actor, ended.method, ended.evidence_sealed) == ("policy", "expiry", None)
    assert ended.at == given.expires_at == NOW.replace(year=2028)  # dated when it lapsed
    same = ("subject_index", "subject_sealed", "purpose", "notice_version", "notice_sha256")
    assert all(getattr(ended, name) == getattr(given, name) for name in same)
    assert record_expiries(db, now=LATER + timedelta(days=1)) == 0
    assert len(expired_events(db)) == 1


def test_a_run_that_ends_consents_is_audited_once_with_its_count_and_no_personal_data(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    choose(db, shop, keyring, "email:ann@example.org")
    choose(db, shop, keyring, "phone:+33 6 12 34 56 78")
    record_expiries(db, now=LATER)
    record_expiries(db, now=LATER)
    query = select(AuditEntry).where(AuditEntry.action == "consent.expired")
    runs = list(db.scalars(query.order_by(AuditEntry.seq)))
    assert [r.details["count"] for r in runs] == [2]  # the second run ended nothing
    assert runs[0].details["by_purpose"] == {"newsletter": 2}
    assert "CNIL" in runs[0].details["rule"]
    text = json.dumps([r.details for r in runs]) + "".join(r.subject_id for r in runs)
    assert "ann" not in text
    assert "612345678" not in text


def test_checks_answer_the_same_before_and_after_and_the_expired_event_now_decides(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    lapsed, withdrawn, fresh, opted_out = (f"email:{n}@example.org" for n in "abcd")
    choose(db, shop, keyring, lapsed)
    choose(db, shop, keyring, withdrawn)
    choose(db, shop, keyring, withdrawn, ConsentState.withdrawn, timedelta(days=10))
    choose(db, shop, keyring, fresh, after=timedelta(days=3 * 365 - 10))
    choose(db, shop, keyring, opted_out)  # then no email at all, before the consent lapsed
    choose(db, shop, keyring, opted_out, ConsentState.withdrawn, timedelta(days=30),
           purposes=(), contact_channel="email")  # fmt: skip
    people = [lapsed, withdrawn, fresh, opted_out]
    before = answers(db, shop, keyring, people)
    written = record_expiries(db, now=LATER)
    after = answers(db, shop, keyring, people)
    assert [row[:4] for row in after] == [row[:4] for row in before]
    [ended] = expired_events(db)
    assert written == 1
    assert after[:2] == [(lapsed, c, False, "expired", ended.uid) for c in ("email", "sms")]
    assert before[0][4] != ended.uid  # it was the consent; now the ledger says it ended
    assert after[2:] == before[2:]  # the others' deciding events too


def test_a_purpose_preference_for_one_channel_ends_on_that_channel_only(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    ann = "email:ann@example.org"
    choose(db, shop, keyring, ann, channel="web_form", method="preference_center",
           contact_channel="sms")  # fmt: skip
    choose(db, shop, keyring, ann, after=timedelta(days=30), contact_channel="email")
    before = answers(db, shop, keyring, [ann])
    assert record_expiries(db, now=LATER) == 2
    assert [row[:4] for row in answers(db, shop, keyring, [ann])] == [row[:4] for row in before]
    assert {e.contact_channel for e in expired_events(db)} == {"sms", "email"}


def test_the_ledger_is_paged_by_id_and_every_lapsed_consent_ends_once(
    db: Session, shop: DataMap, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(7):
        choose(db, shop, keyring, f"email:p{n}@example.org")
    pages: list[int] = []
    lapsed = expiry._lapsed

    def counted(session, **kwargs):  # type: ignore[no-untyped-def]
        rows = lapsed(session, **kwargs)
        pages.append(len(rows))
        return rows

    monkeypatch.setattr(expiry, "_lapsed", counted)
    assert record_expiries(db, now=LATER, batch_size=3) == 7
    assert pages == [3, 3, 1, 0]
    subjects = [e.subject_index for e in expired_events(db)]
    assert len(subjects) == len(set(subjects)) == 7


def test_a_cookie_choice_lapses_after_six_months_as_the_cnil_advises(
    db: Session, shop: DataMap, keyring: Keyring
) -> None:
    choice = BannerChoice(browser_id="b" * 20, action="accept_all",
                          choices={"advertising": True, "personalisation": True})  # fmt: skip
    record_banner_choice(db, datamap=shop, keyring=keyring, choice=choice, now=NOW)
    index = keyring.index("browser:" + "b" * 20)
    assert record_expiries(db, now=NOW + timedelta(days=5 * 30)) == 0
    assert record_expiries(db, now=NOW + timedelta(days=7 * 30)) == 2  # ads, personalisation
    assert repository.cookie_choice(db, index=index, category="advertising") == "expired"
    decision = check_consent(db, datamap=shop, keyring=keyring, subject="browser:" + "b" * 20,
                             purpose="ads", channel="web", now=NOW + timedelta(days=7 * 30))  # fmt: skip
    assert (decision.allowed, decision.reason) == (False, "expired")


@pytest.mark.parametrize("runs", [1, 2])
def test_nothing_lapsed_writes_nothing_not_even_an_audit_entry(
    db: Session, shop: DataMap, keyring: Keyring, runs: int
) -> None:
    choose(db, shop, keyring, "email:ann@example.org")
    for _ in range(runs):
        assert record_expiries(db, now=NOW + timedelta(days=1)) == 0
    assert db.scalar(select(func.count()).select_from(ConsentEvent)) == 1
    audited = (
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "consent.expired")
    )
    assert db.scalar(audited) == 0
