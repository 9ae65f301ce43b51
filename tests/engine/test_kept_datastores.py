"""A worker keeps its connectors between runs, one set per thread; a run that ends with an
error leaves nothing half-open behind for the next one."""

from __future__ import annotations

import threading
from typing import Any

from lawful.engine.datastores import DatastorePool


class Probe:
    """A connector that counts how often it is opened and closed."""

    opened = 0
    closed = 0

    def __init__(self) -> None:
        Probe.opened += 1

    def test_connection(self) -> None:
        pass

    def close(self) -> None:
        Probe.closed += 1


def _factory(system: str) -> Any:
    return Probe()


def _reset() -> None:
    Probe.opened = Probe.closed = 0


def test_one_thread_reuses_its_connectors_from_run_to_run() -> None:
    _reset()
    pool = DatastorePool(_factory)
    for _ in range(3):
        with pool.for_thread() as datastores:
            first = datastores.get("crm")
    with pool.for_thread() as datastores:
        assert datastores.get("crm") is first
    assert (Probe.opened, Probe.closed) == (1, 0)
    pool.close()
    assert Probe.closed == 1


def test_threads_never_share_a_connector() -> None:
    _reset()
    pool = DatastorePool(_factory)
    seen: list[object] = []

    def run() -> None:
        with pool.for_thread() as datastores:
            seen.append(datastores.get("crm"))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 3
    pool.close()
    assert Probe.closed == 3


def test_a_run_that_fails_closes_its_connectors_and_the_next_opens_new_ones() -> None:
    _reset()
    pool = DatastorePool(_factory)
    try:
        with pool.for_thread() as datastores:
            broken = datastores.get("crm")
            raise RuntimeError("the datastore went away mid-run")
    except RuntimeError:
        pass
    assert Probe.closed == 1
    with pool.for_thread() as datastores:
        assert datastores.get("crm") is not broken
    pool.close()
