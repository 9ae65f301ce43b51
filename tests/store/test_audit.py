"""The audit trail is a hash chain: any edited, removed or reordered entry is found."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from lawful.cli import app
from lawful.store.audit import AuditEntry, record_event, verify_chain
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'lawful.db'}"
    upgrade_database(url=url)
    return url


@pytest.fixture
def session(store_url: str) -> Iterator[Session]:
    engine = create_store_engine(store_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def _write(session: Session, count: int) -> None:
    for n in range(count):
        record_event(
            session,
            actor="staff:1",
            action="request.approved",
            subject_type="request",
            subject_id=f"r{n}",
            details={"n": n},
        )
    session.commit()


def test_an_untouched_trail_verifies(session: Session) -> None:
    _write(session, 5)
    assert verify_chain(session) == []
    assert [e.seq for e in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq))] == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_each_entry_holds_the_hash_of_the_one_before(session: Session) -> None:
    _write(session, 3)
    entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]


def test_an_edited_entry_is_found(session: Session) -> None:
    _write(session, 5)
    session.execute(sa.update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone else"))
    session.commit()
    session.expire_all()
    assert [str(b) for b in verify_chain(session)] == [
        "entry 3: its content was changed after it was written"
    ]


def test_a_deleted_entry_is_found(session: Session) -> None:
    _write(session, 5)
    session.execute(sa.delete(AuditEntry).where(AuditEntry.seq == 2))
    session.commit()
    breaks = [str(b) for b in verify_chain(session)]
    assert breaks == [
        "entry 3: entries 2–2 are missing",
        "entry 3: does not follow the entry before it",
    ]


def test_a_deleted_last_entry_cannot_be_detected_without_an_anchor_but_a_rehashed_edit_can(
    session: Session,
) -> None:
    _write(session, 4)
    # Rewriting an entry and recomputing its own hash still breaks the next link.
    entry = session.get(AuditEntry, 2)
    assert entry is not None
    entry.details = {"n": 99}
    from lawful.store.audit import entry_hash

    entry.hash = entry_hash(entry)
    session.commit()
    assert [str(b) for b in verify_chain(session)] == [
        "entry 3: does not follow the entry before it"
    ]


def test_audit_verify_command_fails_on_a_changed_row(
    store_url: str, session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _write(session, 3)
    monkeypatch.setenv("LAWFUL_DATABASE_URL", store_url)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", base64.b64encode(b"k" * 32).decode())
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "3 entries" in ok.output
    session.execute(sa.update(AuditEntry).where(AuditEntry.seq == 1).values(action="x"))
    session.commit()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "entry 1: its content was changed" in broken.output


def test_concurrent_writers_on_postgresql_keep_one_unbroken_chain(
    pg_database_factory: Callable[[str], str],
) -> None:
    import threading

    url = pg_database_factory("audit")
    upgrade_database(url=url)
    engine = create_store_engine(url)
    make = session_factory(engine)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with make() as session:
                    record_event(
                        session,
                        actor=f"writer:{n}",
                        action="test.write",
                        subject_type="test",
                        subject_id=f"{n}-{i}",
                    )
                    session.commit()
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with make() as session:
        assert errors == []
        assert session.query(AuditEntry).count() == 40
        assert verify_chain(session) == []
    engine.dispose()
