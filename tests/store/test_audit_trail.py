"""The trail proves itself: a keyed chain and signed checkpoints kept outside the store
reveal entries cut from the end, an edited entry whose hashes were recomputed after it,
and a chain rebuilt from scratch — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lawful.cli import app
from lawful.store.audit import KEYED, UNKEYED, AuditEntry, entry_hash, record_event
from lawful.store.checkpoints import (
    AuditTrail,
    Checkpoint,
    CheckpointError,
    check_signature,
    verify_trail,
    write_checkpoint,
)
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database

SECRET = b"s" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'lawful.db'}"
    else:
        factory: Callable[[str], str] = request.getfixturevalue("pg_database_factory")
        url = factory("audit_trail")
    upgrade_database(url=url)
    return url


@pytest.fixture
def trail(tmp_path: Path) -> AuditTrail:
    return AuditTrail.from_secret(SECRET, checkpoint_file=tmp_path / "checkpoints.jsonl")


@pytest.fixture
def sessions(store_url: str, trail: AuditTrail) -> Iterator[sessionmaker[Session]]:
    engine = create_store_engine(store_url)
    yield session_factory(engine, audit=trail)
    engine.dispose()


def write_entries(sessions: sessionmaker[Session], count: int) -> None:
    with sessions() as session:
        for n in range(count):
            record_event(session, actor="staff:1", action="request.approved",
                         subject_type="request", subject_id=f"r{n}", details={"n": n})  # fmt: skip
        session.commit()


def checkpoint(sessions: sessionmaker[Session], trail: AuditTrail) -> Checkpoint:
    with sessions() as session:
        return write_checkpoint(session, trail=trail)


def breaks(sessions: sessionmaker[Session]) -> list[tuple[str, int]]:
    with sessions() as session:
        return [(b.kind, b.seq) for b in verify_trail(session).breaks]


def rehash_from(session: Session, seq: int, *, version: int, key: bytes | None) -> None:
    """What an attacker with database access does: recompute every hash from `seq` on."""
    entries = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.seq >= seq - 1).order_by(AuditEntry.seq)
    ).all()
    previous = entries[0].hash if seq > 1 else "0" * 64
    for entry in entries if seq == 1 else entries[1:]:
        entry.chain_version = version
        entry.prev_hash = previous
        entry.hash = previous = f"{seq}-{entry.seq}"  # placeholder, unique while flushing
        session.flush()
        entry.hash = previous = entry_hash(entry, key)
        session.flush()
    session.commit()


def test_an_intact_trail_verifies_against_its_checkpoint(
    sessions: sessionmaker[Session], trail: AuditTrail
) -> None:
    write_entries(sessions, 30)
    made = checkpoint(sessions, trail)
    write_entries(sessions, 5)  # entries after the checkpoint are fine too
    with sessions() as session:
        check = verify_trail(session)
    assert (check.intact, check.count, made.count) == (True, 35, 30)
    assert check.checkpoint == made


def test_deleting_the_last_three_entries_is_reported_as_truncation(
    sessions: sessionmaker[Session], trail: AuditTrail
) -> None:
    write_entries(sessions, 30)
    checkpoint(sessions, trail)
    with sessions() as session:
        session.execute(sa.delete(AuditEntry).where(AuditEntry.seq > 27))
        session.commit()
        [found] = verify_trail(session).breaks
    assert (found.kind, found.seq) == ("truncated", 27)
    assert "the last 3 were removed" in str(found)


def test_editing_entry_21_and_recomputing_unkeyed_hashes_after_it_is_reported(
    sessions: sessionmaker[Session], trail: AuditTrail
) -> None:
    write_entries(sessions, 30)
    checkpoint(sessions, trail)
    with sessions() as session:
        session.execute(
            sa.update(AuditEntry).where(AuditEntry.seq == 21).values(actor="someone else")
        )
        rehash_from(session, 21, version=UNKEYED, key=None)
    found = breaks(sessions)
    assert found[0] == ("unkeyed", 21)
    assert ("rechained", 30) in found


def test_editing_entry_21_and_recomputing_keyed_hashes_without_the_key_is_reported(
    sessions: sessionmaker[Session],
) -> None:
    write_entries(sessions, 30)  # no checkpoint: the key alone finds it
    with sessions() as session:
        session.execute(
            sa.update(AuditEntry).where(AuditEntry.seq == 21).values(actor="someone else")
        )
        rehash_from(session, 21, version=KEYED, key=b"a guessed key".ljust(32))
    assert breaks(sessions) == [("edited", seq) for seq in range(21, 31)]


def test_a_chain_rebuilt_from_the_first_entry_differs_from_the_checkpoint(
    sessions: sessionmaker[Session], trail: AuditTrail
) -> None:
    write_entries(sessions, 30)
    checkpoint(sessions, trail)
    with sessions() as session:
        rehash_from(session, 1, version=UNKEYED, key=None)  # a consistent, all-unkeyed chain
    assert breaks(sessions) == [("rechained", 30)]


def test_unkeyed_entries_from_before_the_key_still_verify_and_the_keyed_chain_follows(
    store_url: str, trail: AuditTrail
) -> None:
    engine = create_store_engine(store_url)
    write_entries(session_factory(engine), 4)  # an older installation: no audit key
    keyed = session_factory(engine, audit=trail)
    write_entries(keyed, 3)
    with keyed() as session:
        versions = session.scalars(sa.select(AuditEntry.chain_version).order_by(AuditEntry.seq))
        assert list(versions) == [UNKEYED] * 4 + [KEYED] * 3
        assert verify_trail(session).intact
    engine.dispose()


def test_a_forged_checkpoint_is_refused_with_its_own_break(
    sessions: sessionmaker[Session], trail: AuditTrail
) -> None:
    write_entries(sessions, 10)
    made = checkpoint(sessions, trail)
    assert trail.checkpoint_file is not None
    forged = replace(made, count=8)  # the old signature does not cover the new count
    trail.checkpoint_file.write_text(forged.to_json() + "\n")
    assert breaks(sessions) == [("checkpoint", 0)]


def test_a_checkpoint_can_be_checked_with_the_public_key_alone(trail: AuditTrail) -> None:
    from datetime import UTC, datetime

    signed = trail.sign(count=3, head="ab" * 32, at=datetime(2026, 12, 7, tzinfo=UTC))
    check_signature(Checkpoint.from_json(signed.to_json()), trail.public_key())
    other = AuditTrail.from_secret(b"o" * 32)
    with pytest.raises(CheckpointError):
        check_signature(signed, other.public_key())


def test_every_nth_entry_is_checkpointed_after_its_commit_never_after_a_rollback(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "every.jsonl"
    trail = AuditTrail.from_secret(SECRET, checkpoint_file=path, checkpoint_every=5)
    engine = create_store_engine(store_url)
    sessions = session_factory(engine, audit=trail)
    with sessions() as session:
        for n in range(5):
            record_event(session, actor="a", action="x", subject_type="t", subject_id=str(n))
        session.rollback()
    assert not path.exists()
    write_entries(sessions, 12)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["count"] for line in lines] == [10]  # one commit passed 5 and 10: its last
    write_entries(sessions, 3)
    assert [json.loads(line)["count"] for line in path.read_text().splitlines()] == [10, 15]
    assert path.stat().st_mode & 0o777 == 0o600
    engine.dispose()


def test_a_checkpoint_is_sent_to_an_http_endpoint_and_to_syslog(
    sessions: sessionmaker[Session], trail: AuditTrail
) -> None:
    received: list[bytes] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    syslog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    syslog.bind(("127.0.0.1", 0))
    syslog.settimeout(5)
    write_entries(sessions, 2)
    try:
        for url in (f"http://127.0.0.1:{server.server_port}/checkpoints",
                    f"syslog://127.0.0.1:{syslog.getsockname()[1]}"):  # fmt: skip
            made = checkpoint(sessions, replace(trail, checkpoint_url=url))
    finally:
        server.shutdown()
        server.server_close()
    assert Checkpoint.from_json(received[0].decode()).count == 2
    message = syslog.recv(4096).decode()
    syslog.close()
    assert message.startswith("<110>lawful-audit: checkpoint ")
    assert Checkpoint.from_json(message.split("checkpoint ", 1)[1]) == made


def test_the_cli_reports_truncation_with_exit_1_and_an_intact_trail_with_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade_database(url=url)
    key = base64.b64encode(hashlib.sha256(b"cli").digest()).decode()
    for name, value in {"DATABASE_URL": url, "ENCRYPTION_KEY": key,
                        "DATA_DIR": str(tmp_path / "data")}.items():  # fmt: skip
        monkeypatch.setenv(f"LAWFUL_{name}", value)
    from lawful.config import load_settings
    from lawful.store.checkpoints import audit_trail

    trail = audit_trail(load_settings(), encryption_key=base64.b64decode(key))
    engine = create_store_engine(url)
    write_entries(session_factory(engine, audit=trail), 12)
    runner = CliRunner()
    made = runner.invoke(app, ["audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    intact = runner.invoke(app, ["audit", "verify"])
    assert (intact.exit_code, "12 entries" in intact.output) == (0, True), intact.output
    with engine.begin() as connection:
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.seq > 9))
    engine.dispose()
    cut = runner.invoke(app, ["audit", "verify"])
    assert cut.exit_code == 1
    assert "the last 3 were removed" in cut.output


def test_twenty_parallel_writers_leave_a_keyed_chain_whose_every_checkpoint_matches(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "parallel.jsonl"
    trail = AuditTrail.from_secret(SECRET, checkpoint_file=path, checkpoint_every=3)
    engine = create_store_engine(store_url)
    sessions = session_factory(engine, audit=trail)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(3):
                with sessions() as session:
                    record_event(session, actor=f"writer:{n}", action="test.write",
                                 subject_type="test", subject_id=f"{n}-{i}")  # fmt: skip
                    session.commit()
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    lines = [Checkpoint.from_json(line) for line in path.read_text().splitlines()]
    with sessions() as session:
        heads = {
            seq: head for seq, head in session.execute(sa.select(AuditEntry.seq, AuditEntry.hash))
        }
        check = verify_trail(session)
    assert (check.intact, check.count) == (True, 60)
    assert sorted(c.count for c in lines) == list(range(3, 61, 3))
    assert all(heads[c.count] == c.head for c in lines)
    engine.dispose()
