"""kill -9 in the middle of an erasure on PostgreSQL: the re-run resumes and the database ends
exactly as after one clean run, with no row written twice (counted by triggers in the store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lawful.store.migrate import upgrade_database

from ..support.databases import ThrowawayDatabases
from ..support.keys import ENCRYPTION_KEY

LAWFUL = str(Path(sys.executable).parent / "lawful")
EXTRA_LINES = 60  # Alice's big order: 60 lines, each shipped, one checkpoint per row

CHANGE_LOG = """
CREATE TABLE IF NOT EXISTS change_log (n serial PRIMARY KEY, tbl text, row_id int, op text);
CREATE OR REPLACE FUNCTION log_change() RETURNS trigger AS $$
BEGIN INSERT INTO change_log (tbl, row_id, op) VALUES (TG_TABLE_NAME, OLD.id, TG_OP); RETURN NULL; END
$$ LANGUAGE plpgsql;
"""


@pytest.fixture
def store_url(pg_database_factory: ThrowawayDatabases) -> Iterator[str]:
    """A PostgreSQL platform store of the test's own, built by the migrations."""
    url = pg_database_factory("lawful_store")
    upgrade_database(url=url)
    yield url
    pg_database_factory.drop(url)


def _big_shop(shop: Any) -> None:
    """The shop's rows plus Alice's big order, with a trigger logging every row changed."""
    shop.reset()
    lines = [
        {"id": 2000 + i, "order_id": 11, "product": f"Part {i}", "quantity": 1}
        for i in range(EXTRA_LINES)
    ]
    shipments = [
        {"id": 5000 + i, "line_id": 2000 + i, "tracking": f"TRK-{i}"} for i in range(EXTRA_LINES)
    ]
    with shop.engine.begin() as conn:
        conn.execute(sa.table("order_lines", *(sa.column(c) for c in lines[0])).insert(), lines)
        conn.execute(
            sa.table("shipments", *(sa.column(c) for c in shipments[0])).insert(), shipments
        )
        conn.exec_driver_sql(CHANGE_LOG)
        conn.exec_driver_sql("TRUNCATE change_log")
        for table in (
            "people",
            "cards",
            "people_cards",
            "orders",
            "order_lines",
            "shipments",
            "invoices",
            "addresses",
        ):
            conn.exec_driver_sql(
                f"CREATE TRIGGER log_{table} AFTER UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION log_change()"
            )


def _changes(shop: Any) -> list[tuple[str, int, str]]:
    with shop.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT tbl, row_id, op FROM change_log ORDER BY tbl, row_id")
            )
        ]


def _command(shop: Any) -> list[str]:
    return [
        LAWFUL,
        "dsr",
        "erase",
        "-m",
        str(shop.map_path),
        "-i",
        "email=alice@example.org",
        "--batch-size",
        "1",
    ]


def _environment(shop: Any, store_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **shop.environ,
        "LAWFUL_DATABASE_URL": store_url,
        "LAWFUL_ENCRYPTION_KEY": ENCRYPTION_KEY,
    }


def _steps(store: sa.Engine) -> dict[str, int]:
    with store.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, count(*) FROM job_steps GROUP BY status"))
        return {status: count for status, count in rows}


def _writing(shop: Any) -> bool:
    """Whether another session of the shop database is in the middle of an UPDATE or DELETE
    (here: waiting for the row the test holds locked)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state = 'active' "
        "AND (query ILIKE 'UPDATE%' OR query ILIKE 'DELETE%')"
    )
    with shop.engine.connect() as conn:
        return bool(conn.execute(query).scalar())


@contextmanager
def _alice_locked(shop: Any) -> Iterator[None]:
    """Hold Alice's person row locked, so the erasure's transaction, having sent its other
    statements, waits on its last one: a kill then lands inside the transaction."""
    with shop.engine.connect() as conn, conn.begin():
        conn.execute(sa.text("SELECT id FROM people WHERE id = 1 FOR UPDATE"))
        yield


def _kill_mid_run(shop: Any, store_url: str, store: sa.Engine, log: Path) -> dict[str, int]:
    """Start the erasure, SIGKILL it while its datastore transaction is writing; the steps at
    that moment."""
    with log.open("w") as stderr, _alice_locked(shop):
        process = subprocess.Popen(
            _command(shop),
            env=_environment(shop, store_url),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and process.poll() is None:
                if _steps(store).get("pending", 0) and _writing(shop):
                    os.kill(process.pid, signal.SIGKILL)
                    break
                time.sleep(0.005)
        finally:
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, (process.returncode, log.read_text())
    return _steps(store)


def test_an_erasure_killed_mid_run_resumes_to_the_same_database_as_a_clean_run(
    pg_shop: Any, store_url: str, tmp_path: Path
) -> None:
    store = sa.create_engine(store_url)
    _big_shop(pg_shop)
    before = pg_shop.snapshot()
    at_kill = _kill_mid_run(pg_shop, store_url, store, tmp_path / "killed.log")
    assert at_kill.get("pending", 0) > 0  # really killed in the middle
    # All or nothing per datastore: the writes sent before the kill were rolled back.
    assert at_kill.get("done", 0) == 0
    assert pg_shop.snapshot() == before

    rerun = subprocess.run(
        _command(pg_shop),
        env=_environment(pg_shop, store_url),
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "resumed erase job" in rerun.stdout
    resumed, resumed_changes = pg_shop.snapshot(), _changes(pg_shop)
    assert len(resumed_changes) == len(set(resumed_changes))  # no row written twice
    with store.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM jobs")).scalars().all() == ["done"]
        retried = conn.execute(
            sa.text("SELECT count(*) FROM job_steps WHERE attempts > 1")
        ).scalar_one()
    assert retried <= 1  # at most the step in flight when the process died

    _big_shop(pg_shop)  # the same starting point, erased by one clean run
    clean = subprocess.run(
        _command(pg_shop),
        env=_environment(pg_shop, store_url),
        capture_output=True,
        text=True,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "ran erase job" in clean.stdout
    assert pg_shop.snapshot() == resumed
    assert _changes(pg_shop) == resumed_changes
    store.dispose()
