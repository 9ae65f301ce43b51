"""`lawful consent` as an operator runs it, on a migrated SQLite store: check, history,
expire, publish and notices, reconsent; bad input gives one line and exit code 1."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from lawful.cli import app
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.service import ConsentEntry, record_consent
from lawful.datamap.models import DataMap
from lawful.store.audit import AuditEntry
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.models import utcnow

from ..support.mail import SMTPServer
from .conftest import SHOP

runner = CliRunner()
ANN = "email:ann@people.example"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path) -> Iterator[Session]:
    """The environment `lawful` reads, and a session on the same store to seed and inspect."""
    monkeypatch.setenv("LAWFUL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", base64.b64encode(bytes(range(32))).decode())
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no lawful.toml from the working tree
    monkeypatch.setenv("COLUMNS", "250")  # event ids on one line (the console reads it live)
    engine = create_store_engine(sqlite_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def give(
    session: Session,
    shop: DataMap,
    keyring: Keyring,
    subject: str = ANN,
    at: datetime | None = None,
) -> ConsentEvent:
    entry = ConsentEntry(subject=subject, state=ConsentState.given, channel="web_form",
                         method="checkbox", purposes=("newsletter",))  # fmt: skip
    [event] = record_consent(session, datamap=shop, keyring=keyring, entry=entry,
                             actor="staff:test", now=at or utcnow() - timedelta(days=1))  # fmt: skip
    session.commit()
    return event


def lawful(*args: str) -> Result:
    return runner.invoke(app, ["consent", *args, "--map", str(SHOP)])


def test_check_prints_the_decision_the_reason_and_the_deciding_event(
    store: Session, shop: DataMap, keyring: Keyring
) -> None:
    event = give(store, shop, keyring)
    result = lawful("check", "--subject", "email=Ann@People.example", "--purpose", "newsletter",
                    "--channel", "email")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "allowed consent_given: the person gave consent for this purpose" in result.output
    assert f"deciding event {event.uid}: given at" in result.output
    denied = lawful("check", "-s", "email=bob@people.example", "-p", "newsletter",
                    "--channel", "email")  # fmt: skip
    assert denied.exit_code == 0
    assert "denied no_consent" in denied.output


@pytest.mark.parametrize(("args", "message"), [
    (("--subject", "fax=0612", "--purpose", "newsletter"), "unknown subject type 'fax'"),
    (("--subject", "just words", "--purpose", "newsletter"), "write TYPE:VALUE"),
    (("--subject", ANN, "--purpose", "newsleter"), "unknown purpose 'newsleter'"),
])  # fmt: skip
def test_bad_input_is_one_line_and_exit_code_1(
    store: Session, args: tuple[Any, ...], message: str
) -> None:
    result = lawful("check", *args, "--channel", "email")
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_history_lists_the_persons_events_and_decisions_and_is_audited(
    store: Session, shop: DataMap, keyring: Keyring
) -> None:
    mine = give(store, shop, keyring)
    theirs = give(store, shop, keyring, subject="email:bob@people.example")
    result = lawful("history", "--subject", "ann@people.example", "--operator", "cli:pia")
    assert result.exit_code == 0, result.output
    assert mine.uid in result.output
    assert theirs.uid not in result.output
    assert "1 consent event" in result.output
    assert "Decisions now" in result.output
    query = select(AuditEntry).where(AuditEntry.action == "consent_looked_up")
    [entry] = store.scalars(query)
    assert (entry.actor, entry.details) == ("cli:pia", {"events": 1})


def test_expire_writes_the_lapsed_consents_once(
    store: Session, shop: DataMap, keyring: Keyring
) -> None:
    give(store, shop, keyring, at=utcnow() - timedelta(days=3 * 365))
    give(store, shop, keyring, subject="email:bob@people.example")
    first = lawful("expire")
    assert first.exit_code == 0, first.output
    assert "1 consent(s) expired" in first.output
    assert "0 consent(s) expired" in lawful("expire").output


def test_publish_then_notices_then_reconsent_keeps_addresses_out_of_the_terminal(
    store: Session, shop: DataMap, keyring: Keyring, tmp_path: Path
) -> None:
    event = give(store, shop, keyring)
    published = lawful("publish", "--version", "2026-12", "--material", "--purpose", "newsletter")
    assert published.exit_code == 0, published.output
    assert "published notice 2026-12" in published.output
    listed = lawful("notices")
    assert "2026-12" in listed.output
    assert "newsletter" in listed.output
    again = lawful("publish", "--version", "2026-12")
    assert again.exit_code == 1
    assert "already published" in again.stderr
    found = lawful("reconsent", "--purpose", "newsletter")
    assert found.exit_code == 0, found.output
    assert "1 consent(s) to renew for newsletter" in found.stderr
    assert event.uid in found.stdout
    assert "ann" not in found.output
    target = tmp_path / "ask-again.csv"
    written = lawful("reconsent", "--purpose", "newsletter", "--out", str(target))
    assert written.exit_code == 0, written.output
    assert "ann@people.example" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "ann" not in written.output


def test_reconsent_for_an_unknown_purpose_says_which_exist(store: Session) -> None:
    result = lawful("reconsent", "--purpose", "nope")
    assert result.exit_code == 1
    assert "the data map declares" in result.stderr


def test_ask_again_mails_each_person_once_with_a_progress_bar(
    store: Session,
    shop: DataMap,
    keyring: Keyring,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ann", "bob", "cy"):
        give(store, shop, keyring, subject=f"email:{name}@people.example")
    monkeypatch.setenv("LAWFUL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LAWFUL_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("LAWFUL_SMTP_STARTTLS", "false")
    published = lawful("publish", "--version", "9", "--material", "--grace-days", "10")
    assert published.exit_code == 0, published.output
    unknown = lawful("ask-again", "--version", "8")
    assert unknown.exit_code == 1
    assert "no re-consent run for notice 8" in unknown.output
    first = lawful("ask-again", "--version", "9")
    assert first.exit_code == 0, first.output
    assert "notice 9: 3 mailed, 0 without an email address" in first.output
    assert "no answer yet 3" in first.output
    again = lawful("ask-again", "--version", "9")
    assert again.exit_code == 0, again.output
    assert sorted(str(m["To"]) for m in smtp_server.inbox.messages) == [
        "ann@people.example",
        "bob@people.example",
        "cy@people.example",
    ]
    actions = store.scalars(select(AuditEntry.action)).all()
    assert "consent.reconsent_queued" in actions
