"""Durable jobs: checkpoints per batch, retries with backoff, resume without applying twice."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import (
    Before,
    Connector,
    ConnectorError,
    Key,
    Referrer,
    Row,
    key_columns,
    key_value,
)
from lawful.connectors.match import Match
from lawful.connectors.schema import LiveSchema
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.erasure import run_erasure
from lawful.engine.jobs import JobReport
from lawful.engine.models import Job, JobStatus, JobStep, StepStatus
from lawful.engine.retry import RetryPolicy
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

TODAY = __import__("datetime").date(2026, 11, 22)


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs, not even `except Exception`."""


class Faulty:
    """A real connector with faults injected into writes, counting what reached the store."""

    def __init__(self, inner: Connector, fault: Callable[[str, int], None]) -> None:
        self.inner, self.fault = inner, fault
        self.writes: list[tuple[str, tuple[Any, ...]]] = []

    def _write(self, table: str, keys: tuple[Any, ...], apply: Callable[[], int]) -> int:
        self.fault(table, len(self.writes))
        changed = apply()
        self.writes.append((table, keys))
        return changed

    def update(self, table: str, *, key: Key, rows: Sequence[Row]) -> int:
        names = key_columns(key)
        return self._write(
            table,
            tuple(key_value(r, names) for r in rows),
            lambda: self.inner.update(table, key=key, rows=rows),
        )

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        return self._write(table, tuple(keys), lambda: self.inner.delete(table, key=key, keys=keys))

    def test_connection(self) -> None:
        self.inner.test_connection()

    def fetch(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        casefold: Collection[str] = (),
    ) -> list[Row]:
        self.fault(f"fetch:{table}", len(self.writes))
        return self.inner.fetch(table, where=where, columns=columns, casefold=casefold)

    def count_by(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any]
    ) -> dict[Any, int]:
        return self.inner.count_by(table, columns=columns, values=values)

    def referrers(self, table: str) -> list[Referrer]:
        return self.inner.referrers(table)

    def count(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]] | None = None,
        before: Before | None = None,
        match: Match | None = None,
    ) -> int:
        return self.inner.count(table, where=where, before=before, match=match)

    def scan(
        self,
        table: str,
        *,
        key: Key,
        columns: Sequence[str],
        after: Any = None,
        limit: int = 1000,
        before: Before | None = None,
        match: Match | None = None,
    ) -> list[Row]:
        return self.inner.scan(
            table, key=key, columns=columns, after=after, limit=limit, before=before, match=match
        )

    def schema(self, *, schemas: Sequence[str] = ()) -> LiveSchema | None:
        return self.inner.schema(schemas=schemas)

    def columns(self, table: str) -> list[str]:
        return self.inner.columns(table)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.inner.transaction():
            yield
        self.fault("committed", len(self.writes))  # the write is in the store for good

    def close(self) -> None:
        self.inner.close()


def _run(
    shop: Any,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    fault: Callable[[str, int], None],
    *,
    policy: RetryPolicy | None = None,
) -> tuple[JobReport, Faulty]:
    opened: list[Faulty] = []
    real = registry_factory(shop.datamap, base_dir=shop.base_dir, environ=shop.environ)

    def factory(system: str) -> Connector:
        opened.append(Faulty(real(system), fault))
        return opened[-1]

    policy = policy or RetryPolicy(attempts=3, base=0.001, cap=0.01)
    with Datastores(factory, retry=policy) as datastores:
        report = run_erasure(
            sessions,
            datamap=shop.datamap,
            identity=shop.identity("email=alice@example.org"),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
            batch_size=1,
        )
    return report, opened[0]


def _no_fault(table: str, count: int) -> None:
    return None


def test_a_crash_right_after_a_write_is_resumed_without_writing_it_again(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    def crash_after_the_datastore_commits(where: str, count: int) -> None:
        if where == "committed" and count > 0:
            raise Crash

    with pytest.raises(Crash):
        _run(sqlite_shop, sessions, keyring, crash_after_the_datastore_commits)
    with sessions() as session:
        job = session.scalars(select(Job)).one()
        statuses = [s.status for s in session.scalars(select(JobStep).order_by(JobStep.position))]
    assert job.status is JobStatus.running  # never reported done early
    # Every batch reached the store (one transaction) but no checkpoint did: all pending.
    assert statuses == [StepStatus.pending] * 11

    report, resumed = _run(sqlite_shop, sessions, keyring, _no_fault)
    assert report.resumed
    assert report.status is JobStatus.done
    assert resumed.writes == []  # every step was found applied: none sent again
    with sessions() as session:
        attempts = [s.attempts for s in session.scalars(select(JobStep).order_by(JobStep.position))]
    assert attempts == [1] * 11  # the crashed try was never recorded; each step ran once


def test_the_resumed_database_equals_one_clean_run(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    def crash_before_eighth_write(where: str, count: int) -> None:
        if where == "order_lines" and count == 7:  # the second order line
            raise Crash

    with pytest.raises(Crash):
        _run(sqlite_shop, sessions, keyring, crash_before_eighth_write)
    _run(sqlite_shop, sessions, keyring, _no_fault)
    resumed = sqlite_shop.snapshot()
    sqlite_shop.reset()
    _run(sqlite_shop, sessions, keyring, _no_fault)  # a new job: the first one is done
    assert sqlite_shop.snapshot() == resumed


def test_an_outage_is_retried_with_backoff(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    outages = {"left": 2}
    waits: list[float] = []

    def flaky(where: str, count: int) -> None:
        if where == "orders" and outages["left"]:
            outages["left"] -= 1
            raise ConnectorError("server closed the connection", system="shop", retryable=True)

    policy = RetryPolicy(attempts=3, base=0.01, cap=1.0, sleep=waits.append)
    report, _ = _run(sqlite_shop, sessions, keyring, flaky, policy=policy)
    assert report.status is JobStatus.done
    assert len(waits) == 2
    assert waits[1] > waits[0]  # exponential: 0.01 then 0.02 (±25 % jitter)


def test_a_failing_store_is_reported_per_dataset_and_a_rerun_finishes(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    def refuses_orders(where: str, count: int) -> None:
        if where == "orders":
            raise ConnectorError("the database refused: disk full", system="shop", dataset="orders")

    before = sqlite_shop.snapshot()
    report, _ = _run(sqlite_shop, sessions, keyring, refuses_orders)
    assert report.status is JobStatus.failed
    outcome = {o.dataset: o for o in report.datasets}
    assert "disk full" in (outcome["orders"].error or "")
    # All or nothing per datastore: the shipments sent before it were rolled back too.
    assert {o.status for o in report.datasets} == {"failed"}
    assert sqlite_shop.snapshot() == before

    again, _ = _run(sqlite_shop, sessions, keyring, _no_fault)
    assert again.resumed
    assert again.status is JobStatus.done
    assert {o.status for o in again.datasets} == {"done"}


def test_an_outage_while_reading_restarts_the_read_and_the_erasure_goes_on(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    outages = {"left": 1}

    def drops_once(where: str, count: int) -> None:
        if where == "fetch:orders" and outages["left"]:
            outages["left"] -= 1
            raise ConnectorError("connection reset", system="shop", retryable=True)

    before = sqlite_shop.snapshot()
    report, _ = _run(sqlite_shop, sessions, keyring, drops_once)
    assert report.status is JobStatus.done
    assert outages["left"] == 0
    assert sqlite_shop.snapshot() != before
    assert report.summary["found"]["orders"] == 2


def test_connections_the_server_dropped_between_two_erasures_are_replaced_and_both_finish(
    pg_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with pg_shop.datastores(RetryPolicy(attempts=3, base=0.001, cap=0.01)) as datastores:
        first = run_erasure(
            sessions,
            datamap=pg_shop.datamap,
            identity=pg_shop.identity("email=carol@example.org"),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )
        with pg_shop.engine.connect() as admin:  # as a server restart would
            dropped = admin.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar()
        second = run_erasure(
            sessions,
            datamap=pg_shop.datamap,
            identity=pg_shop.identity("email=alice@example.org"),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )
    assert dropped
    assert (first.status, second.status) == (JobStatus.done, JobStatus.done)
    assert pg_shop.snapshot()["people"][1]["full_name"] == "(erased)"
