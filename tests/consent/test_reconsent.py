"""A material notice change mails everyone whose consent relied on the old notice, once each:
through real SMTP, in batches, after a crash mid-way, with two senders at once; two staff
publishing the same version make one run; old consents stop counting after the grace period;
each person's answer is shown (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings
from lawful.consent.errors import NoticeConflictError
from lawful.consent.models import (
    AskStatus,
    ConsentEvent,
    ConsentState,
    ReconsentAsk,
    ReconsentRun,
)
from lawful.consent.notices import publish_notice
from lawful.consent.reconsent import RECONSENT_JOB, run_of, run_progress
from lawful.consent.reconsent_mail import ReconsentMail, send_batch
from lawful.consent.service import ConsentEntry, check_consent, record_consent
from lawful.datamap.models import DataMap
from lawful.requests.mail import Mail, SMTPMailer
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database
from lawful.store.tasks import Task

from ..support.databases import ThrowawayDatabases, database_name
from ..support.mail import SMTPServer
from .conftest import NOW

PEOPLE = 1000
CHANGE = NOW + timedelta(days=1)
PUBLIC = "https://privacy.example.org"


@pytest.fixture(scope="module")
def pg_template(pg_database_factory: ThrowawayDatabases) -> str:
    url = pg_database_factory("lawful_reconsent_tpl")
    upgrade_database(url=url)
    return database_name(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(
    request: pytest.FixtureRequest, pg_database_factory: ThrowawayDatabases
) -> Iterator[sessionmaker[Session]]:
    """A store of the test's own (the run commits), on each backend in turn."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = pg_database_factory(
            "lawful_reconsent", template=request.getfixturevalue("pg_template")
        )
    engine = create_store_engine(url)
    yield session_factory(engine)
    engine.dispose()


def email(n: int) -> str:
    return f"person{n:05d}@example.org"


def seed(sessions: sessionmaker[Session], keyring: Keyring, count: int) -> None:
    """`count` people who consented to the newsletter under the old notice, written as the
    ledger writes them (sealed subject, blind index), in one statement."""
    rows = []
    for n in range(count):
        key = f"email:{email(n)}"
        rows.append(
            {
                "uid": f"{n:032x}",
                "subject_index": keyring.index(key),
                "subject_sealed": keyring.encrypt(key.encode(), context="consent.subject"),
                "subject_type": "email",
                "purpose": "newsletter",
                "state": ConsentState.given,
                "notice_version": "1",
                "channel": "web_form",
                "method": "checkbox",
                "language": "en",
                "actor": "subject",
                "at": NOW - timedelta(days=30),
                "recorded_at": NOW - timedelta(days=30),
            }
        )
    with sessions() as session:
        session.execute(insert(ConsentEvent), rows)
        session.commit()


def choose(
    sessions: sessionmaker[Session],
    shop: DataMap,
    keyring: Keyring,
    subject: str,
    state: ConsentState,
    *,
    at: timedelta,
) -> None:
    entry = ConsentEntry(
        subject=subject, state=state, channel="web_form", method="checkbox",
        purposes=("newsletter",),
    )  # fmt: skip
    with sessions() as session:
        record_consent(
            session, datamap=shop, keyring=keyring, entry=entry, actor="subject", now=NOW + at
        )
        session.commit()


def publish(
    sessions: sessionmaker[Session], shop: DataMap, *, version: str = "2", grace: int = 0
) -> None:
    with sessions() as session:
        publish_notice(
            session, datamap=shop, actor="staff:1", material=True, version=version,
            purposes=["newsletter"], now=CHANGE, grace_days=grace,
        )  # fmt: skip
        session.commit()


def smtp(server: SMTPServer) -> Callable[[ReconsentMail], None]:
    mailer = SMTPMailer(
        Settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_starttls=False,
                 smtp_from="privacy@shop.example")
    )  # fmt: skip

    def deliver(mail: ReconsentMail) -> None:
        mailer.send(Mail(to=mail.to, subject=mail.subject, text=mail.text, html=mail.html,
                         kind="reconsent"))  # fmt: skip

    return deliver


def send(
    sessions: sessionmaker[Session],
    shop: DataMap,
    keyring: Keyring,
    deliver: Callable[[ReconsentMail], None],
    **options: object,
) -> int:
    with sessions() as session:
        run = session.scalars(select(ReconsentRun)).one()
    return send_batch(
        sessions, run_id=run.id, datamap=shop, keyring=keyring, public_url=PUBLIC,
        deliver=deliver, clock=lambda: CHANGE, **options,  # type: ignore[arg-type]
    )  # fmt: skip


class CrashError(Exception):
    """The worker dies between two people."""


def test_a_material_change_mails_everyone_once_though_the_sender_crashes(
    sessions: sessionmaker[Session], shop: DataMap, keyring: Keyring, smtp_server: SMTPServer
) -> None:
    seed(sessions, keyring, PEOPLE)
    choose(
        sessions, shop, keyring, "email:gone@example.org", ConsentState.given, at=-timedelta(days=3)
    )
    choose(
        sessions,
        shop,
        keyring,
        "email:gone@example.org",
        ConsentState.withdrawn,
        at=-timedelta(days=2),
    )
    choose(sessions, shop, keyring, "+33612345678", ConsentState.given, at=-timedelta(days=2))
    publish(sessions, shop, grace=30)
    with sessions() as session:
        tasks = session.scalars(select(Task).where(Task.kind == RECONSENT_JOB)).all()
        assert [t.payload for t in tasks] == [{"run_id": 1}] or len(tasks) == 1
        run = session.scalars(select(ReconsentRun)).one()
        assert run.total == PEOPLE + 1  # the phone number is listed, with nothing to mail
    mailed = 0

    def crash_at_350() -> None:
        nonlocal mailed
        mailed += 1
        if mailed == 350:
            raise CrashError

    deliver = smtp(smtp_server)
    with pytest.raises(CrashError):
        send(sessions, shop, keyring, deliver, limit=500, on_mailed=crash_at_350)
    remaining = [send(sessions, shop, keyring, deliver, limit=250) for _ in range(4)]
    assert remaining == [PEOPLE - 600, PEOPLE - 850, 0, 0]

    received = Counter(str(m["To"]) for m in smtp_server.inbox.messages)
    assert received == Counter({email(n): 1 for n in range(PEOPLE)})
    first = smtp_server.inbox.to(email(7), "privacy notice changed")[0]
    text = smtp_server.inbox.text(first)
    assert "Newsletter and offers" in text
    assert f"{PUBLIC}/privacy/preferences/" in text
    assert (CHANGE + timedelta(days=30)).date().isoformat() in text
    assert email(7) not in text.split(f"{PUBLIC}/privacy/preferences/")[1]  # no address in URL
    with sessions() as session:
        run = session.scalars(select(ReconsentRun)).one()
        progress = run_progress(session, run=run)
        assert run.finished_at == CHANGE
    assert (progress.total, progress.mailed, progress.pending, progress.no_address) == (
        PEOPLE + 1, PEOPLE, 0, 1,
    )  # fmt: skip
    assert (progress.unconfirmed, progress.no_answer) == (0, PEOPLE)


def test_two_senders_at_once_mail_each_person_once(
    sessions: sessionmaker[Session], shop: DataMap, keyring: Keyring, smtp_server: SMTPServer
) -> None:
    seed(sessions, keyring, 300)
    publish(sessions, shop)
    deliver, start = smtp(smtp_server), threading.Barrier(2)
    left: list[int] = []

    def sender() -> None:
        start.wait()
        left.append(send(sessions, shop, keyring, deliver, limit=1000))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert left == [0, 0]
    received = Counter(str(m["To"]) for m in smtp_server.inbox.messages)
    assert received == Counter({email(n): 1 for n in range(300)})


def test_a_refused_mail_is_sent_on_the_next_try_and_only_then(
    sessions: sessionmaker[Session], shop: DataMap, keyring: Keyring, smtp_server: SMTPServer
) -> None:
    seed(sessions, keyring, 40)
    publish(sessions, shop)
    deliver = smtp(smtp_server)
    tries = 0

    def flaky(mail: ReconsentMail) -> None:
        nonlocal tries
        tries += 1
        if tries == 10:
            smtp_server.stop()
        if tries == 11:
            smtp_server.start()
        deliver(mail)

    with pytest.raises(Exception, match="did not accept"):
        send(sessions, shop, keyring, flaky)
    assert send(sessions, shop, keyring, flaky) == 0
    received = Counter(str(m["To"]) for m in smtp_server.inbox.messages)
    assert received == Counter({email(n): 1 for n in range(40)})


def test_publishing_the_same_version_at_once_makes_one_run(
    sessions: sessionmaker[Session], shop: DataMap, keyring: Keyring
) -> None:
    seed(sessions, keyring, 50)
    start, outcomes = threading.Barrier(2), []

    def publisher() -> None:
        start.wait()
        try:
            publish(sessions, shop, version="2")
            outcomes.append("published")
        except NoticeConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=publisher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "published"]
    with pytest.raises(NoticeConflictError, match="already published"):
        publish(sessions, shop, version="2")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReconsentRun)) == 1
        assert session.scalar(select(func.count()).select_from(ReconsentAsk)) == 50
        tasks = session.scalar(
            select(func.count()).select_from(Task).where(Task.kind == RECONSENT_JOB)
        )
        assert tasks == 1


def test_old_consent_counts_until_the_grace_ends_and_answers_are_shown(
    sessions: sessionmaker[Session], shop: DataMap, keyring: Keyring, smtp_server: SMTPServer
) -> None:
    seed(sessions, keyring, 4)
    publish(sessions, shop, grace=14)
    assert send(sessions, shop, keyring, smtp(smtp_server)) == 0
    choose(sessions, shop, keyring, f"email:{email(0)}", ConsentState.given, at=timedelta(days=2))
    choose(
        sessions, shop, keyring, f"email:{email(1)}", ConsentState.withdrawn, at=timedelta(days=3)
    )

    def reason(n: int, days: int) -> str:
        with sessions() as session:
            return check_consent(
                session, datamap=shop, keyring=keyring, subject=email(n), purpose="newsletter",
                channel="email", now=CHANGE + timedelta(days=days),
            ).reason  # fmt: skip

    assert reason(2, 13) == "consent_given"  # within the grace the old consent still counts
    assert reason(2, 15) == "reconsent_required"
    assert reason(0, 15) == "consent_given"  # answered yes
    assert reason(1, 15) == "withdrawn"
    with sessions() as session:
        run = run_of(session, version="2")
        assert run is not None
        progress = run_progress(session, run=run)
        statuses = set(session.scalars(select(ReconsentAsk.status)))
    assert statuses == {AskStatus.mailed}
    assert (progress.answered_yes, progress.answered_no, progress.no_answer) == (1, 1, 2)


def test_a_second_change_before_the_first_is_sent_mails_each_person_once(
    sessions: sessionmaker[Session], shop: DataMap, keyring: Keyring, smtp_server: SMTPServer
) -> None:
    seed(sessions, keyring, 30)
    publish(sessions, shop, version="2")
    with sessions() as session:
        publish_notice(session, datamap=shop, actor="staff:1", material=True, version="3",
                       purposes=["newsletter"], now=CHANGE + timedelta(hours=1))  # fmt: skip
        session.commit()
        runs = session.scalars(select(ReconsentRun).order_by(ReconsentRun.id)).all()
    deliver = smtp(smtp_server)
    for run in runs:
        send_batch(sessions, run_id=run.id, datamap=shop, keyring=keyring, public_url=PUBLIC,
                   deliver=deliver)  # fmt: skip
    received = Counter(str(m["To"]) for m in smtp_server.inbox.messages)
    assert received == Counter({email(n): 1 for n in range(30)})
    with sessions() as session:
        first = run_progress(session, run=runs[0])
        second = run_progress(session, run=runs[1])
        statuses = set(
            session.scalars(select(ReconsentAsk.status).where(ReconsentAsk.run_id == runs[0].id))
        )
    assert statuses == {AskStatus.superseded}
    assert (first.mailed, second.mailed) == (0, 30)
