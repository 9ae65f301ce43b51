"""A job is bound to what it planned: the map, each datastore, and each row's person.

The failures reproduced here were seen: an erasure that failed midway, resumed after the map's
connection pointed at another database where the stored keys belong to other people, erased
those people; a PostgreSQL job was replayed against a MariaDB with the same table names.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.loader import load_datamap
from lawful.engine.binding import datastore_identity, map_fingerprint
from lawful.engine.erasure import run_erasure
from lawful.engine.errors import EngineError
from lawful.engine.identity import Identity
from lawful.engine.jobboard import cancel_job, unfinished_job_lines
from lawful.engine.jobs import JobReport, create_job
from lawful.store.audit import AuditEntry
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.models import Job, JobKind, JobStatus

from .conftest import ROWS, TODAY, Shop, fill, make_shop, snapshot, write_map

ALICE = "email=alice@example.org"


def _erase(shop: Shop, sessions: sessionmaker[Session], keyring: Keyring) -> JobReport:
    with shop.datastores() as datastores:
        return run_erasure(
            sessions,
            datamap=shop.datamap,
            identity=shop.identity(ALICE),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            batch_size=1,
        )


def _other_people() -> dict[str, list[dict[str, Any]]]:
    """The same tables and keys, other people: key 1 of `people` is Zoe, not Alice."""
    rows = copy.deepcopy(ROWS)
    for person, name in zip(rows["people"], ["zoe", "yann", "xavier", "will"], strict=True):
        person["email"] = f"{name}@example.net"
        person["full_name"] = f"{name.title()} Other"
    return rows


def _fail_at_people_on_postgresql(shop: Shop) -> None:
    """A NOT NULL column the map nullifies: the erasure fails at `people`, its last dataset,
    after changing every dataset before it."""
    with shop.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE people SET phone = '+33600000000' WHERE phone IS NULL")
        conn.exec_driver_sql("ALTER TABLE people ALTER COLUMN phone SET NOT NULL")


def _fail_at_people_on_sqlite(shop: Shop) -> None:
    with shop.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER phone_required BEFORE UPDATE OF phone ON people "
            "WHEN NEW.phone IS NULL BEGIN SELECT RAISE(ABORT, 'phone is required'); END"
        )


def _status(report: JobReport, dataset: str) -> str:
    return next(d.status for d in report.datasets if d.dataset == dataset)


def _other_database(shop: Shop, pg_database_factory: Any) -> sa.Engine:
    url = pg_database_factory("lawful_jobs_other")
    other = sa.create_engine(url)
    fill(other, _other_people())
    return other


def test_a_failed_erasure_resumed_against_another_database_changes_nobody_there(
    pg_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, pg_database_factory: Any
) -> None:
    _fail_at_people_on_postgresql(pg_shop)
    first = _erase(pg_shop, sessions, keyring)
    assert first.status is JobStatus.failed
    # All or nothing per datastore: the refusal at `people` rolled back `orders` too.
    assert _status(first, "people") == "failed"
    assert _status(first, "orders") == "failed"
    other = _other_database(pg_shop, pg_database_factory)
    before = snapshot(other)
    pg_shop.environ["SHOP_URL"] = str(other.url)  # the map's connection now points elsewhere

    again = _erase(pg_shop, sessions, keyring)

    # The stored keys (key 1 is Zoe there) are never replayed: the job is planned again on
    # the new database, where Alice is nobody, so nothing changes.
    assert again.job_id != first.job_id
    assert again.status is JobStatus.done
    assert sum(d.rows_changed for d in again.datasets) == 0
    assert snapshot(other) == before
    with sessions() as session:
        assert unfinished_job_lines(session) == []
    other.dispose()


def test_a_job_cancelled_after_a_refusal_is_planned_afresh_on_the_new_database(
    pg_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, pg_database_factory: Any
) -> None:
    _fail_at_people_on_postgresql(pg_shop)
    first = _erase(pg_shop, sessions, keyring)
    other = _other_database(pg_shop, pg_database_factory)
    before = snapshot(other)
    pg_shop.environ["SHOP_URL"] = str(other.url)
    with sessions() as session:
        cancel_job(session, job_id=first.job_id, actor="test")
        session.commit()

    again = _erase(pg_shop, sessions, keyring)

    assert again.job_id != first.job_id
    assert again.status is JobStatus.done
    assert sum(d.rows_changed for d in again.datasets) == 0  # Alice is not in that database
    assert snapshot(other) == before
    other.dispose()


def _drop_returns(shop: Shop) -> None:
    with shop.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS returns")


def test_a_job_that_changed_nothing_is_planned_again_when_its_database_moved(
    pg_shop: Shop,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    pg_database_factory: Any,
    request: pytest.FixtureRequest,
) -> None:
    with pg_shop.engine.begin() as conn:  # a table the map does not declare refuses the delete
        conn.exec_driver_sql(
            "CREATE TABLE returns (id integer PRIMARY KEY, shipment_id integer "
            "REFERENCES shipments(id))"
        )
        conn.exec_driver_sql("INSERT INTO returns VALUES (1, 1001)")
    request.addfinalizer(lambda: _drop_returns(pg_shop))
    first = _erase(pg_shop, sessions, keyring)
    assert first.status is JobStatus.failed
    assert sum(d.rows_changed for d in first.datasets) == 0
    other = _other_database(pg_shop, pg_database_factory)
    before = snapshot(other)
    pg_shop.environ["SHOP_URL"] = str(other.url)

    again = _erase(pg_shop, sessions, keyring)

    assert again.job_id != first.job_id
    assert again.status is JobStatus.done
    assert snapshot(other) == before
    with sessions() as session:
        old = session.get(Job, first.job_id)
        assert old is not None
        assert old.status is JobStatus.superseded
        assert old.result is not None
        assert "system `shop` now points at postgresql database" in old.result["superseded"][0]
    other.dispose()


def test_a_postgresql_job_replayed_against_mariadb_is_planned_again_and_changes_only_alice(
    pg_shop: Shop,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    _fail_at_people_on_postgresql(pg_shop)
    first = _erase(pg_shop, sessions, keyring)
    assert first.status is JobStatus.failed
    (tmp_path / "maria").mkdir()
    maria = make_shop("mariadb", tmp_path / "maria", request)  # Alice is there too, same keys
    before = maria.snapshot()
    replay = Shop("postgresql", pg_shop.engine, maria.datamap, maria.map_path, maria.base_dir,
                  maria.environ)  # fmt: skip

    again = _erase(replay, sessions, keyring)

    assert again.job_id != first.job_id  # the PostgreSQL job is not replayed on MariaDB
    after = maria.snapshot()
    alice = {table: {k for k, row in rows.items() if row != after[table].get(k)}
             for table, rows in before.items()}  # fmt: skip
    assert alice["people"] == {1}  # only Alice's row of `people` changed
    for table, rows in before.items():
        untouched = {k: r for k, r in rows.items() if k not in alice[table]}
        assert {k: after[table][k] for k in untouched if k in after[table]} == untouched


def test_a_row_whose_key_now_holds_someone_else_is_skipped_and_reported_never_changed(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    _fail_at_people_on_sqlite(sqlite_shop)
    first = _erase(sqlite_shop, sessions, keyring)
    assert _status(first, "people") == "failed"
    with sqlite_shop.engine.begin() as conn:  # the same file, but key 1 is someone else now
        conn.exec_driver_sql("DROP TRIGGER phone_required")
        conn.exec_driver_sql(
            "UPDATE people SET email = 'zoe@example.net', full_name = 'Zoe Other' WHERE id = 1"
        )
    before = sqlite_shop.snapshot()["people"][1]

    resumed = _erase(sqlite_shop, sessions, keyring)

    assert resumed.resumed
    assert resumed.status is JobStatus.done
    assert sqlite_shop.snapshot()["people"][1] == before
    people = next(d for d in resumed.datasets if d.dataset == "people")
    assert (people.rows_skipped, people.rows_changed) == (1, 0)


def test_a_job_failed_by_a_map_mistake_is_planned_again_once_the_map_is_fixed(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    _fail_at_people_on_sqlite(sqlite_shop)  # the map nullifies a phone the store requires
    first = _erase(sqlite_shop, sessions, keyring)
    assert first.status is JobStatus.failed
    fixed = sqlite_shop.map_path.read_text().replace(
        "phone: {category: contact.phone, erase: nullify}",
        'phone: {category: contact.phone, erase: {strategy: replace, value: "-"}}',
    )
    sqlite_shop.map_path.write_text(fixed)
    sqlite_shop.datamap = load_datamap(sqlite_shop.map_path).datamap

    again = _erase(sqlite_shop, sessions, keyring)

    assert again.job_id != first.job_id
    assert again.status is JobStatus.done
    assert sqlite_shop.snapshot()["people"][1]["phone"] == "-"
    with sessions() as session:
        assert unfinished_job_lines(session) == []


def test_the_map_fingerprint_ignores_wording_and_follows_what_changes_rows(
    sqlite_shop: Shop,
) -> None:
    text = sqlite_shop.map_path.read_text()
    reworded = text.replace(
        "description: Courier notes about an address (about whoever was delivered there)",
        "description: Notes for couriers  # reworded",
    )
    assert reworded != text
    strategy = text.replace("full_name: {category: name, erase: {strategy: replace, value: \"(erased)\"}}",
                            "full_name: {category: name, erase: nullify}")  # fmt: skip
    assert strategy != text
    fingerprints = []
    for variant in (text, "\n\n" + reworded, strategy):
        sqlite_shop.map_path.write_text(variant)
        fingerprints.append(map_fingerprint(load_datamap(sqlite_shop.map_path).datamap))
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]


def test_a_datastore_identity_names_server_and_database_never_a_secret(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Path
) -> None:
    from lawful.connectors.base import ConnectionSpec
    from lawful.connectors.sql import PostgreSQLConnector

    spec = ConnectionSpec(
        system="shop",
        type="postgresql",
        url="postgresql://shopuser:S3cret-pw@db.example:5433/shop?sslmode=require",
    )
    connector = PostgreSQLConnector(spec)
    identity = datastore_identity(connector)
    connector.close()
    assert identity == {"backend": "postgresql", "host": "db.example", "port": "5433",
                        "database": "shop", "schema": ""}  # fmt: skip
    first = _erase(sqlite_shop, sessions, keyring)
    with sessions() as session:
        job = session.get(Job, first.job_id)
        assert job is not None
        stored = json.dumps(job.binding)
    assert str((tmp_path / "shop.sqlite").resolve()) in stored
    assert "salt" in stored


def test_twenty_staff_cancelling_one_job_at_once_cancel_it_once(
    pg_store_url: str, keyring: Keyring, tmp_path: Path
) -> None:
    engine = create_store_engine(pg_store_url)
    sessions = session_factory(engine)
    datamap, _ = write_map(tmp_path, "{type: sqlite, path: shop.sqlite}")
    with sessions() as session:
        job = create_job(session, kind=JobKind.erase, identity=Identity((("email", "a@b.c"),)),
                         keyring=keyring, datamap=datamap, changes=[], summary={})  # fmt: skip
        session.commit()
        job_id = job.id
    wins: list[str] = []
    refusals: list[str] = []
    start = threading.Barrier(20)

    def cancel(number: int) -> None:
        start.wait()
        with sessions() as session:
            try:
                cancel_job(session, job_id=job_id, actor=f"staff-{number}")
                session.commit()
                wins.append(f"staff-{number}")
            except EngineError as error:
                refusals.append(str(error))

    threads = [threading.Thread(target=cancel, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.subject_id == job_id)).all()
        status = session.get(Job, job_id).status  # type: ignore[union-attr]
    engine.dispose()
    assert len(wins) == 1
    assert len(refusals) == 19
    assert all("is cancelled: only an unfinished job" in r for r in refusals)
    assert [(e.action, e.actor) for e in entries] == [("job.cancelled", wins[0])]
    assert status is JobStatus.cancelled
