"""Scheduled scans (`discovery.scan`) record a run and the personal columns found on a
helpdesk of our own, on SQLite and PostgreSQL: an undeclared column holding emails, free text
naming people, a column added between two scans shown as new — and never a sampled value in
the store. A scheduled slot is queued once however many pollers race for it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lawful.cli import app
from lawful.discovery.models import ColumnFinding, RunOutcome, ScanRun
from lawful.discovery.service import DISCOVERY_SCAN
from lawful.platform import open_platform
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow
from lawful.store.tasks import Task, TaskStatus, defer_job
from lawful.worker.inprocess import InProcessQueue
from lawful.worker.jobs import kept_datastores, platform_poller, platform_runner, scheduled_work
from lawful.worker.poller import Poller

from .conftest import HELPDESK_ROWS, Helpdesk, helpdesk_values


def scheduled_scan(helpdesk: Helpdesk, tmp_path: Path) -> None:
    """One poll of a platform scheduled to scan daily, and the tasks it queued, run."""
    settings = helpdesk.settings(tmp_path, discovery_scan_schedule="daily")
    with open_platform(settings) as platform, kept_datastores(platform) as kept:
        runner = platform_runner(platform, name="test-worker", kept=kept)
        jobs = platform.jobs
        assert isinstance(jobs, InProcessQueue)
        jobs.bind(runner)
        platform_poller(platform, runner, name=None).tick()
        jobs.join()


def asked_scan(helpdesk: Helpdesk, tmp_path: Path) -> None:
    """A scan queued outside the schedule (as the console does), run by the worker."""
    with open_platform(helpdesk.settings(tmp_path)) as platform, kept_datastores(platform) as kept:
        runner = platform_runner(platform, name="test-worker", kept=kept)
        with platform.sessions() as session:
            task = defer_job(session, queue=Recorder(), kind=DISCOVERY_SCAN, payload={})
            session.commit()
        assert runner.run(task.id) is TaskStatus.done


class Recorder:
    def __init__(self) -> None:
        self.handed: list[str] = []

    def dispatch(self, task_ids: Sequence[str], *, lane: str = "jobs") -> None:
        self.handed.extend(task_ids)


def findings(sessions: sessionmaker[Session]) -> dict[str, ColumnFinding]:
    with sessions() as session:
        rows = session.scalars(select(ColumnFinding)).all()
        session.expunge_all()
        return {f"{f.table_name}.{f.column_name}": f for f in rows}


def runs(sessions: sessionmaker[Session]) -> list[ScanRun]:
    with sessions() as session:
        found = list(session.scalars(select(ScanRun).order_by(ScanRun.started_at)))
        session.expunge_all()
        return found


def test_a_scheduled_scan_records_a_run_and_the_undeclared_personal_column(
    helpdesk: Helpdesk, tmp_path: Path, monkeypatch: object
) -> None:
    _environ(helpdesk, monkeypatch)
    scheduled_scan(helpdesk, tmp_path)

    sessions = helpdesk.sessions()
    [run] = runs(sessions)
    assert run.outcome is RunOutcome.done
    assert run.system == "desk"
    assert run.requested_by == "schedule"
    assert (run.tables_seen, run.rows_sampled) == (3, 3 * HELPDESK_ROWS)
    found = findings(sessions)
    misc = found["tickets.misc"]
    assert (misc.category, misc.declared, misc.dataset) == ("contact.email", False, "tickets")
    assert misc.evidence.value == "values"
    assert misc.values_matched == HELPDESK_ROWS
    assert found["customers.email"].declared
    assert not found["customers.email"].free_text
    assert found["tickets.body"].free_text, "free text naming people is flagged"
    # A ticket's status is its case history: the table's name says so, not the values.
    status = found["tickets.status"]
    assert (status.category, status.evidence.value) == ("communication.case_history", "name")
    assert not status.free_text
    export = found["Legacy Export.Contact E-mail"]
    assert (export.category, export.dataset, export.erase) == (
        "contact.email",
        None,
        '{strategy: replace, value: "[erased]"}',  # NOT NULL: no nullify
    )
    assert run.undeclared_columns == 2
    assert run.new_columns == run.personal_columns
    with sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "discovery_scanned")
        ).one()
        assert entry.subject_id == "desk"
        assert entry.details["undeclared"] == 2


def test_a_second_scan_shows_a_column_added_since_as_new(
    helpdesk: Helpdesk, tmp_path: Path, monkeypatch: object
) -> None:
    _environ(helpdesk, monkeypatch)
    scheduled_scan(helpdesk, tmp_path)
    helpdesk.add_column("recovery_contact", "recovery")
    asked_scan(helpdesk, tmp_path)

    sessions = helpdesk.sessions()
    first, second = runs(sessions)
    assert second.new_columns == 1
    assert second.undeclared_columns == 3
    found = findings(sessions)
    added = found["customers.recovery_contact"]
    assert added.first_seen_run == second.id
    assert added.category == "contact.email"
    assert found["tickets.misc"].first_seen_run == first.id
    assert found["tickets.misc"].last_seen_run == second.id


def test_no_sampled_value_reaches_the_discovery_tables(
    helpdesk: Helpdesk, tmp_path: Path, monkeypatch: object
) -> None:
    _environ(helpdesk, monkeypatch)
    helpdesk.add_column("recovery_contact", "recovery")
    scheduled_scan(helpdesk, tmp_path)

    engine = sa.create_engine(helpdesk.store_url)
    stored: list[str] = []
    with engine.connect() as conn:
        for name in ("discovery_runs", "discovery_findings", "audit_entries"):
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            for row in conn.execute(select(table)):
                stored += [str(value) for value in row]
    engine.dispose()
    text = "\n".join(stored)
    assert "contact.email" in text  # the categories are there …
    for n in range(HELPDESK_ROWS):  # … the values are not
        for value in helpdesk_values(n).values():
            assert value not in text
    for word in ("Dupont", "Papadopoulos", "example.org", "inbox.example.net", "+33"):
        assert word not in text


def test_a_scan_of_a_store_that_cannot_be_read_records_it_unreachable(
    helpdesk: Helpdesk, tmp_path: Path
) -> None:
    # SQLite: its file is gone; PostgreSQL: the variable holding its URL is not set.
    if helpdesk.kind == "sqlite":
        (helpdesk.map_path.parent / "desk.sqlite").unlink()
    scheduled_scan(helpdesk, tmp_path)
    [run] = runs(helpdesk.sessions())
    assert run.outcome is RunOutcome.unreachable
    assert run.personal_columns == 0


def test_a_scheduled_scan_slot_is_queued_once_when_twenty_four_pollers_race(
    helpdesk: Helpdesk, tmp_path: Path
) -> None:
    settings = helpdesk.settings(tmp_path, discovery_scan_schedule="weekly")
    sessions = helpdesk.sessions()
    scan = [w for w in scheduled_work(settings) if w.kind == DISCOVERY_SCAN]
    assert [w.every for w in scan] == [timedelta(days=7)]
    now = utcnow()
    queues = [Recorder() for _ in range(24)]
    pollers = [
        Poller(sessions, q, republish_after=timedelta(hours=1), scheduled=scan, clock=lambda: now)
        for q in queues
    ]
    start = threading.Barrier(len(pollers))
    errors: list[BaseException] = []

    def race(poller: Poller) -> None:
        start.wait()
        try:
            poller.tick()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=race, args=(p,)) for p in pollers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with sessions() as session:
        count = session.scalar(select(func.count()).where(Task.kind == DISCOVERY_SCAN))
    assert count == 1
    assert sum(len(q.handed) for q in queues) == 1


def _environ(helpdesk: Helpdesk, monkeypatch: object) -> None:
    for name, value in helpdesk.environ.items():
        monkeypatch.setenv(name, value)  # type: ignore[attr-defined]


def test_lawful_scan_record_stores_a_run_per_system_on_demand(
    helpdesk: Helpdesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environ(helpdesk, monkeypatch)
    # A deployment: the store's URL and the installation's key, as every process has them.
    settings = helpdesk.settings(tmp_path)
    assert settings.encryption_key is not None
    monkeypatch.setenv("LAWFUL_DATABASE_URL", helpdesk.store_url)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", settings.encryption_key.get_secret_value())
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "lawful-data"))
    result = CliRunner().invoke(app, ["scan", "-m", str(helpdesk.map_path), "--record"])
    assert result.exit_code == 0, result.output
    [run] = runs(helpdesk.sessions())
    assert run.requested_by == "cli"
    assert findings(helpdesk.sessions())["tickets.misc"].declared is False
    assert "backup0.dupont@contact.example.com" not in result.output


def test_lawful_scan_record_without_a_map_says_what_to_give(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scan", "--url-env", "HOME", "--record"])
    assert result.exit_code == 1
    assert "give --map FILE" in result.output
