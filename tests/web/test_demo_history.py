"""`lawful demo`'s past year (lawful.demo.history): seeded through the services, it fills the
dashboard, the CCPA metrics and the breach register, sends no mail from the past, and is
seeded once only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from lawful.auth.models import Role
from lawful.breach.service import list_incidents
from lawful.demo.history import HistorySummary, seed_history
from lawful.requests.context import RequestPolicy
from lawful.requests.counts import request_records
from lawful.store.tasks import OPEN, Task

from .conftest import Web

NOW = datetime.now(UTC).replace(microsecond=0)


def _seed(web: Web) -> HistorySummary:
    platform = web.platform
    return seed_history(platform.sessions, datamap=platform.datamap, keyring=platform.keyring,
                        policy=RequestPolicy.from_settings(platform.settings), now=NOW)  # fmt: skip


def test_after_seeding_the_dashboard_shows_a_working_year(web: Web) -> None:
    web.staff(Role.privacy_officer, "pia@staff.example")
    summary = _seed(web)
    assert summary.seeded
    states = {"completed", "partially_completed", "denied", "cancelled", "expired", "verified",
              "verifying"}  # fmt: skip
    assert states <= set(summary.requests)
    page = web.signed_in(Role.auditor).get(f"/admin/dashboard?year={NOW.year}")
    assert page.status_code == 200
    opened = re.search(r"(\d+) requests? open, <strong>(\d+) past", page.text)
    assert opened is not None
    assert int(opened.group(1)) >= 10  # verifying, waiting for approval, overdue
    assert int(opened.group(2)) >= 1
    received = [int(n) for n in re.findall(r"<tr><td>\d{4}-\d{2}</td><td>(\d+)</td>", page.text)]
    assert sum(received) >= 60
    assert sum(1 for n in received if n) >= 8
    metrics = page.text.split("CCPA metrics for")[1]
    assert re.search(r"<td>[1-9]\d*</td>", metrics)  # California requests counted this year


def test_the_year_holds_every_state_a_breach_timeline_and_no_mail_from_the_past(web: Web) -> None:
    _seed(web)
    platform = web.platform
    with platform.sessions() as session:
        records = request_records(session)
        outcomes = {r.outcome.value for r in records}
        [incident] = list_incidents(session)
        assert incident.status.value == "closed"
        assert incident.authority_notified_at is not None
        assert len(incident.updates) >= 4
        waiting = session.scalar(
            sa.select(sa.func.count())
            .select_from(Task)
            .where(Task.status.in_(OPEN), Task.request_id.is_not(None))  # the app's own go on
        )
    assert {"pending", "complied", "denied", "withdrawn"} <= outcomes
    assert any(r.denial_reason for r in records)
    assert all(r.received_at < NOW for r in records)
    assert waiting == 0  # the past's mails and runs are done, not sent on start
    assert web.outbox() == []


def test_seeding_twice_does_not_double(web: Web) -> None:
    _seed(web)
    with web.platform.sessions() as session:
        first = len(request_records(session))
    again = _seed(web)
    assert not again.seeded
    with web.platform.sessions() as session:
        assert len(request_records(session)) == first
        assert len(list_incidents(session)) == 1
