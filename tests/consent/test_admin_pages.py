"""The console's Consent pages on the shop's map, SQLite then PostgreSQL: counts that match
the ledger read in SQL, a person looked up (and audited) through the blind index, receipts,
and notice versions published by privacy officers only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from lawful.auth.models import Role
from lawful.config import Settings
from lawful.consent.banner import BannerChoice, record_banner_choice
from lawful.consent.links import LinkKind, issue_link
from lawful.consent.models import ConsentEvent, ConsentState, NoticeVersion
from lawful.consent.service import ConsentEntry, record_consent
from lawful.store.audit import AuditEntry
from lawful.store.models import UTCDateTime, utcnow
from lawful.web.app import create_app

from ..web.conftest import (  # noqa: F401 (fixtures used by name)
    TestClient,
    Web,
    csrf,
    fast_password_hashing,
    make_settings,
    store_url,
    web_pg_url,
)
from .conftest import SHOP

GROUND_TRUTH = text("""
    SELECT e.purpose,
           CASE WHEN e.state = 'given' AND e.expires_at <= :now THEN 'expired' ELSE e.state END,
           COUNT(*)
      FROM consent_events e
     WHERE e.purpose IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM consent_events l
                        WHERE l.subject_index = e.subject_index AND l.purpose = e.purpose
                          AND (l.at > e.at OR (l.at = e.at AND l.id > e.id)))
     GROUP BY 1, 2
""").bindparams(bindparam("now", type_=UTCDateTime()))
ROW = re.compile(
    r'<tr><td>[^<]+ <span class="mono muted">(\w+)</span></td><td>[^<]+</td>'
    r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>"
)


@pytest.fixture
def console(make_settings: Callable[..., Settings]) -> Iterator[Web]:  # noqa: F811
    app = create_app(make_settings(map_path=SHOP))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield Web(app, client)


def record(
    web: Web, subject: str, state: ConsentState, at: datetime, purposes: tuple[str, ...]
) -> list[ConsentEvent]:
    platform = web.platform
    entry = ConsentEntry(subject=subject, state=state, channel="web_form", method="checkbox",
                         purposes=purposes)  # fmt: skip
    with platform.sessions() as session:
        events = record_consent(session, datamap=platform.datamap, keyring=platform.keyring,
                                entry=entry, actor="staff:test", now=at)  # fmt: skip
        session.commit()
        return events


def seed(web: Web) -> datetime:
    """A ledger of people given, refused, withdrawn, lapsed and opted out by GPC."""
    now = utcnow()
    day = timedelta(days=1)
    both = ("newsletter", "personalisation")
    for n in range(6):
        record(web, f"email:given{n}@people.example", ConsentState.given, now - 9 * day, both)
    for n in range(3):
        subject = f"email:changed{n}@people.example"
        record(web, subject, ConsentState.given, now - 9 * day, ("newsletter",))
        record(web, subject, ConsentState.withdrawn, now - (8 - n) * day, ("newsletter",))
    record(web, "email:no@people.example", ConsentState.refused, now - day, both)
    record(web, "email:old@people.example", ConsentState.given, now - 800 * day, ("newsletter",))
    with web.platform.sessions() as session:
        for n in range(4):
            choice = BannerChoice(browser_id=f"browser-{n:02d}-abcdefghij", action="accept_all",
                                  choices={"advertising": True}, gpc=n % 2 == 0)  # fmt: skip
            record_banner_choice(session, datamap=web.platform.datamap,
                                 keyring=web.platform.keyring, choice=choice, now=now - day)  # fmt: skip
        session.commit()
    return now


def ground_truth(session: Session, now: datetime) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for purpose, state, people in session.execute(GROUND_TRUTH, {"now": now}):
        found.setdefault(purpose, {})[state] = people
    return found


def test_the_counts_per_purpose_are_the_ledgers_latest_events_read_in_sql(console: Web) -> None:
    now = seed(console)
    page = console.signed_in(Role.analyst).get("/admin/consent")
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page.text
    shown = {purpose: list(map(int, numbers)) for purpose, *numbers in ROW.findall(page.text)}
    with console.platform.sessions() as session:
        truth = ground_truth(session, now)
    assert set(shown) == set(console.platform.datamap.purposes)
    for purpose, (given, refused, withdrawn, expired, _gpc) in shown.items():
        states = truth.get(purpose, {})
        assert [given, refused, withdrawn, expired] == [
            states.get(s, 0) for s in ("given", "refused", "withdrawn", "expired")
        ], purpose
    assert shown["newsletter"][:4] == [6, 1, 3, 1]
    assert shown["ads"] == [2, 2, 0, 0, 2]  # GPC turned two "accept all" into refusals


def test_a_lookup_shows_that_persons_events_only_and_is_audited(console: Web) -> None:
    now = utcnow()
    mine = record(console, "email:ann@people.example", ConsentState.given, now, ("newsletter",))
    theirs = record(console, "email:bob@people.example", ConsentState.given, now, ("newsletter",))
    officer = console.signed_in(Role.auditor)
    form = officer.get("/admin/consent/person")
    found = officer.post(
        "/admin/consent/person", data={"csrf_token": csrf(form), "subject": " ANN@People.example"}
    )
    assert found.status_code == 200
    assert mine[0].uid in found.text
    assert theirs[0].uid not in found.text
    assert "1 event, oldest first" in found.text
    assert "the person gave consent for this purpose" in found.text
    receipt = officer.get(f"/admin/consent/receipts/{mine[0].uid}/kantara")
    assert receipt.status_code == 200
    assert "attachment" in receipt.headers["content-disposition"]
    assert json.loads(receipt.text)["consentReceiptID"]
    with console.platform.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action == "consent_looked_up")
        [entry] = session.scalars(query)
    assert entry.details == {"events": 1}
    assert "ann" not in json.dumps(entry.details) + entry.subject_id


def test_a_lookup_of_something_that_is_no_address_says_what_to_write(console: Web) -> None:
    officer = console.signed_in(Role.analyst)
    form = officer.get("/admin/consent/person")
    refused = officer.post("/admin/consent/person",
                           data={"csrf_token": csrf(form), "subject": "just words"})  # fmt: skip
    assert refused.status_code == 422
    assert "write TYPE:VALUE" in refused.text


def test_a_lookup_without_the_csrf_token_is_refused(console: Web) -> None:
    officer = console.signed_in(Role.privacy_officer)
    refused = officer.post("/admin/consent/person", data={"subject": "ann@people.example"})
    assert refused.status_code == 403
    with console.platform.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action == "consent_looked_up")
        assert session.scalars(query).first() is None


def test_an_auditor_reads_the_page_but_cannot_publish_a_notice(console: Web) -> None:
    auditor = console.signed_in(Role.auditor)
    page = auditor.get("/admin/consent")
    assert page.status_code == 200
    assert "Publish a notice version" not in page.text
    refused = auditor.post("/admin/consent/notices",
                           data={"csrf_token": csrf(page), "version": "9", "material": "true"})  # fmt: skip
    assert refused.status_code == 403
    with console.platform.sessions() as session:
        assert session.scalars(select(NoticeVersion)).first() is None


def test_publishing_a_material_version_lists_it_with_the_people_to_ask_again(
    console: Web,
) -> None:
    past = utcnow() - timedelta(days=3)
    for name in ("ann", "bob"):
        record(console, f"email:{name}@people.example", ConsentState.given, past, ("newsletter",))
    officer = console.signed_in(Role.privacy_officer)
    page = officer.get("/admin/consent")
    assert '<a href="/admin/consent"' in page.text  # the menu entry
    published = officer.post("/admin/consent/notices", data={
        "csrf_token": csrf(page), "version": "2026-12", "material": "true",
        "purposes": ["newsletter"], "summary": "New mailing partner",
    })  # fmt: skip
    assert published.status_code == 303
    listed = officer.get("/admin/consent")
    assert "<td>2026-12</td>" in listed.text
    assert "<strong>2 people</strong> must be asked for consent again" in listed.text
    again = officer.post("/admin/consent/notices",
                         data={"csrf_token": csrf(listed), "version": "2026-12"})  # fmt: skip
    assert again.status_code == 409
    assert "already published" in again.text


def test_a_material_version_mails_each_person_once_and_shows_where_they_stand(
    console: Web,
) -> None:
    past = utcnow() - timedelta(days=3)
    for name in ("ann", "bob"):
        record(console, f"email:{name}@people.example", ConsentState.given, past, ("newsletter",))
    officer = console.signed_in(Role.privacy_officer)
    page = officer.get("/admin/consent")
    published = officer.post("/admin/consent/notices", data={
        "csrf_token": csrf(page), "version": "2027-01", "material": "true",
        "purposes": ["newsletter"], "grace_days": "5",
    })  # fmt: skip
    assert published.status_code == 303
    mails = [m for m in console.outbox() if "privacy notice changed" in m]
    assert len(mails) == 2
    assert sum("To: ann@people.example" in m for m in mails) == 1
    record(console, "email:ann@people.example", ConsentState.given, utcnow(), ("newsletter",))
    listed = officer.get("/admin/consent")
    assert 'href="/admin/consent/reconsent/2027-01"' in listed.text
    auditor = console.signed_in(Role.auditor)
    shown = auditor.get("/admin/consent/reconsent/2027-01")
    assert shown.status_code == 200
    assert "2 of 2 handled" in shown.text
    assert "2 mailed: 1 answered yes, 0 answered no, 1 no answer yet" in shown.text
    rows = re.findall(r"<tr><td>([^<]+)</td><td>[^<]+</td><td>([^<]+)</td>", shown.text)
    assert sorted(rows) == [
        ("ann@people.example", "answered yes"),
        ("bob@people.example", "asked, no answer yet"),
    ]
    assert auditor.get("/admin/consent/reconsent/nope").status_code == 404
    with console.platform.sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "consent.reconsent_queued" in actions
    assert "consent.reconsent_viewed" in actions


def test_the_preference_center_shows_service_mail_as_not_switchable(console: Web) -> None:
    platform = console.platform
    link = issue_link(datamap=platform.datamap, keyring=platform.keyring,
                      public_url="http://testserver", kind=LinkKind.preferences,
                      subject="email:ann@people.example")  # fmt: skip
    page = console.client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "What we always send you" in page.text
    assert "switching a channel off does not stop them" in page.text
    service = re.findall(r'<input type="checkbox" id="s\d+" checked disabled[^>]*>', page.text)
    assert len(service) == 2  # account notices by email and by SMS
    assert 'value="purpose:account:' not in page.text  # not in the form: nothing to post
