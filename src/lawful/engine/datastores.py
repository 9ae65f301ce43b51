"""The connectors a run uses, opened once per system and checked before anything changes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from lawful.connectors.base import Connector, ConnectorError
from lawful.datamap.models import DataMap
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.plan import Plan, PlanStep
from lawful.engine.retry import RetryPolicy, with_retry

T = TypeVar("T")
ConnectorFactory = Callable[[str], Connector]
"""Opens the connector of one system of the data map (by system id)."""


def registry_factory(
    datamap: DataMap,
    *,
    base_dir: Path,
    environ: Mapping[str, str],
    cache_dir: Path | None = None,
) -> ConnectorFactory:
    """Open connectors through the installed connector registry (entry points); with
    `cache_dir`, they keep table definitions there between runs (a short command)."""
    from lawful.connectors.registry import open_connector

    def open_system(system_id: str) -> Connector:
        system = datamap.systems.get(system_id)
        if system is None or system.connection is None:
            raise ConnectorError("the system has no `connection` in the data map", system=system_id)
        return open_connector(
            system_id, system.connection, base_dir=base_dir, environ=environ, cache_dir=cache_dir
        )

    return open_system


class Datastores:
    """Open connectors by system, closed together. Use as a context manager."""

    def __init__(self, factory: ConnectorFactory, *, retry: RetryPolicy | None = None) -> None:
        self._factory = factory
        self._open: dict[str, Connector] = {}
        self.retry = retry or RetryPolicy()
        # Tables whose columns were found as the map declares them: a long-lived worker
        # checks each once, not on every request (a connector caches what it reflects too).
        self.checked: set[tuple[str, str, tuple[str, ...]]] = set()
        self._reads: dict[str, AbstractContextManager[None]] | None = None

    def __enter__(self) -> Datastores:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def get(self, system: str) -> Connector:
        """The system's connector, opened and tested on first use (with retries); inside
        `reading()`, with its read transaction begun."""
        if system not in self._open:
            connector = self._factory(system)
            try:
                with_retry(connector.test_connection, policy=self.retry)
            except ConnectorError:
                connector.close()
                raise
            self._open[system] = connector
        if self._reads is not None and system not in self._reads:
            self._begin_read(system)
        return self._open[system]

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run a request's reads on one connection per system, in one transaction where that
        gives one consistent view (SQLite, MariaDB; on PostgreSQL, READ COMMITTED, each
        statement has its own snapshot anyway, so no BEGIN/COMMIT is sent: `read_view`).
        Nothing may be written inside."""
        self._reads = {}
        try:
            yield
        finally:
            reads, self._reads = self._reads, None
            for transaction in reads.values():
                with suppress(ConnectorError):  # only reads: nothing to lose if it fails
                    transaction.__exit__(None, None, None)

    def read(self, system: str, action: Callable[[Connector], T]) -> T:
        """Run a read on the system's connector with retries (restarting a broken read
        transaction between tries). ConnectorError after the last try."""
        connector = self.get(system)
        return with_retry(
            lambda: action(connector),
            policy=self.retry,
            on_retry=lambda _attempt, _error: self.restart_read(system),
        )

    def restart_read(self, system: str) -> None:
        """After an outage inside `reading()`: drop the broken transaction, begin a new one."""
        if self._reads is None or system not in self._reads:
            return
        stale = self._reads.pop(system)
        with suppress(ConnectorError):
            stale.__exit__(ConnectorError, ConnectorError("restarting the read"), None)
        self._begin_read(system)

    def _begin_read(self, system: str) -> None:
        assert self._reads is not None
        connector = self._open[system]
        # A SQL connector's `read_view` (one connection; no BEGIN/COMMIT where they would
        # not give one snapshot anyway), or the connector's transaction.
        view = getattr(connector, "read_view", None)
        transaction = view() if callable(view) else connector.transaction()
        transaction.__enter__()
        self._reads[system] = transaction

    def close(self) -> None:
        for connector in self._open.values():
            connector.close()
        self._open.clear()


class KeptDatastores(Datastores):
    """A worker thread's datastores, kept open from one run to the next, so what they learn
    (table definitions, checked columns) is learnt once per worker, not once per request.
    Leaving a `with` block keeps them open, unless it ends with an error: the next run then
    opens them afresh."""

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self.close()


class DatastorePool:
    """One `KeptDatastores` per thread (a `Datastores` is never shared between threads);
    `close()` when the worker stops."""

    def __init__(self, factory: ConnectorFactory) -> None:
        self._factory = factory
        self._local = threading.local()
        self._every: list[KeptDatastores] = []
        self._lock = threading.Lock()

    def for_thread(self) -> Datastores:
        kept: KeptDatastores | None = getattr(self._local, "datastores", None)
        if kept is None:
            kept = self._local.datastores = KeptDatastores(self._factory)
            with self._lock:
                self._every.append(kept)
        return kept

    def discard_thread(self) -> None:
        """Close this thread's connectors; its next run opens new ones."""
        kept: KeptDatastores | None = getattr(self._local, "datastores", None)
        if kept is not None:
            kept.close()

    def close(self) -> None:
        with self._lock:
            every, self._every = self._every, []
        for kept in every:
            kept.close()


def check_datastores(*, plan: Plan, datastores: Datastores) -> None:
    """Before anything is read or changed: every system answers and every table and column
    the map declares exists. Raises EngineError naming each system and dataset at fault."""
    problems: list[EngineProblem] = []
    broken: set[str] = set()
    for step in plan.steps:
        if (step.system, step.table, step.columns) in datastores.checked:
            continue
        if step.system in broken:
            problems.append(_unreachable(step, None))
            continue
        try:
            datastores.get(step.system)
        except ConnectorError as error:
            broken.add(step.system)
            problems.append(_unreachable(step, error))
            continue
        found = _schema_problems(step, _live_columns(datastores, step))
        if not found:
            datastores.checked.add((step.system, step.table, step.columns))
        problems += found
    if problems:
        raise EngineError(problems)


def _live_columns(datastores: Datastores, step: PlanStep) -> list[str]:
    """The table's columns; none when the store says the table does not exist."""
    try:
        return datastores.read(step.system, lambda c: c.columns(step.table))
    except ConnectorError as error:
        if error.retryable:
            raise
        return []


def _unreachable(step: PlanStep, error: ConnectorError | None) -> EngineProblem:
    cause = error.args[0] if error is not None else "its system could not be reached (see above)"
    return EngineProblem(
        f"cannot be read: {cause}",
        "check the system's connection settings and that the store is running; nothing was changed",
        system=step.system,
        dataset=step.dataset,
    )


def _schema_problems(step: PlanStep, live: list[str]) -> list[EngineProblem]:
    if not live:
        return [
            EngineProblem(
                f"table `{step.table}` does not exist in the live store",
                "create it, or fix `table:` in the data map; nothing was changed",
                system=step.system,
                dataset=step.dataset,
            )
        ]
    missing = [c for c in step.columns if c not in set(live)]
    if not missing:
        return []
    if set(missing) & set(step.primary_key):
        return [
            EngineProblem(
                f"the key ({', '.join(step.primary_key)}) is not in table `{step.table}`: "
                "its rows cannot be told apart",
                "set the dataset's `primary_key:` to the table's real key (a list for a key "
                "over several columns); nothing was changed",
                system=step.system,
                dataset=step.dataset,
            )
        ]
    return [
        EngineProblem(
            f"column(s) {', '.join(f'`{c}`' for c in missing)} missing from table `{step.table}`",
            "the data map is out of step with the store: fix the field names; nothing was changed",
            system=step.system,
            dataset=step.dataset,
        )
    ]
