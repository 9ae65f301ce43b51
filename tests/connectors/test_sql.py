"""The SQL connectors on real SQLite, PostgreSQL and MariaDB databases."""

from __future__ import annotations

import random
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from lawful.connectors import Connector, ConnectorError, open_connector
from lawful.datamap.models import Connection

if TYPE_CHECKING:
    from .conftest import MakePeople, Store

INJECTIONS = [
    "x' OR '1'='1",
    "'; DROP TABLE people; --",
    "1 OR 1=1",
    '" OR ""="',
    "person1@example.org' --",
]


def email(i: int) -> str:
    return f"person{i}@example.org"


def test_a_sql_connector_implements_the_protocol(store: Store, make_people: MakePeople) -> None:
    make_people(1)
    connector = store.open()
    assert isinstance(connector, Connector)
    connector.test_connection()


def test_fetch_finds_rows_by_any_of_several_fields(store: Store, make_people: MakePeople) -> None:
    make_people(10)
    rows = store.open().fetch(
        "people",
        where={"email": [email(2), "nobody@example.org"], "phone": ["+33610000005"]},
        columns=["id", "name"],
    )
    assert sorted(rows, key=lambda r: r["id"]) == [
        {"id": 2, "name": "Person 2"},
        {"id": 5, "name": "Person 5"},
    ]


def test_fetch_returns_a_row_once_when_several_fields_and_batches_match_it(
    store: Store, make_people: MakePeople
) -> None:
    make_people(10)
    connector = store.open(batch_size=2)
    where: dict[str, list[Any]] = {
        "email": [email(i) for i in (1, 2, 3, 4, 5)],
        "phone": ["+33610000001", "+33610000003", "+33610000009"],
        "id": ["3", 4, "9"],
    }
    rows = connector.fetch("people", where=where, columns=["email"])
    assert sorted(r["email"] for r in rows) == sorted(email(i) for i in (1, 2, 3, 4, 5, 9))
    assert connector.count("people", where=where) == 6


def test_fetch_sends_more_values_than_one_in_list_holds_in_batches(
    store: Store, make_people: MakePeople
) -> None:
    make_people(1200)
    wanted = [email(i) for i in range(1, 1201, 1)] + ["nobody@example.org"]
    rows = store.open().fetch("people", where={"email": wanted}, columns=["id"])
    assert sorted(r["id"] for r in rows) == list(range(1, 1201))


def test_fetch_matches_text_identity_values_against_an_integer_key(
    store: Store, make_people: MakePeople
) -> None:
    make_people(50)
    rows = store.open().fetch(
        "people", where={"id": ["42", " 7 ", "abc", "4.5", None]}, columns=["id"]
    )
    assert sorted(r["id"] for r in rows) == [7, 42]


def test_update_changes_exactly_the_rows_named_by_their_key(
    store: Store, make_people: MakePeople
) -> None:
    make_people(5)
    changed = store.open().update(
        "people",
        key="id",
        rows=[
            {"id": 2, "email": None, "name": "Erased"},
            {"id": "4", "phone": None},
            {"id": 99, "name": "Nobody"},
        ],
    )
    assert changed == 2
    rows = {r["id"]: r for r in store.rows("people")}
    assert rows[2] == {"id": 2, "email": None, "phone": "+33610000002", "name": "Erased"}
    assert rows[4] == {"id": 4, "email": email(4), "phone": None, "name": "Person 4"}
    assert [rows[i]["name"] for i in (1, 3, 5)] == ["Person 1", "Person 3", "Person 5"]


def test_update_of_many_rows_runs_in_batches(store: Store, make_people: MakePeople) -> None:
    make_people(1100)
    rows = [{"id": i, "name": f"Masked {i}"} for i in range(1, 1101, 2)]
    assert store.open().update("people", key="id", rows=rows) == 550
    names = [r["name"] for r in store.rows("people")]
    assert names[:4] == ["Masked 1", "Person 2", "Masked 3", "Person 4"]


def test_delete_removes_exactly_the_rows_named_by_their_key(
    store: Store, make_people: MakePeople
) -> None:
    make_people(1200)
    doomed = [*range(1, 1101), 5000]
    assert store.open().delete("people", key="id", keys=doomed) == 1100
    assert [r["id"] for r in store.rows("people")] == list(range(1101, 1201))


def test_count_counts_every_row_or_only_the_matching_ones(
    store: Store, make_people: MakePeople
) -> None:
    make_people(30)
    connector = store.open()
    assert connector.count("people") == 30
    assert connector.count("people", where={"email": [email(3), email(4), "x@example.org"]}) == 2
    assert connector.count("people", where={"email": []}) == 0
    one_per_batch = store.open(batch_size=1)  # MariaDB's collation also matches the upper case
    assert one_per_batch.count("people", where={"email": [email(1), email(1).upper()]}) == 1
    assert one_per_batch.count("people", where={"email": [email(1)], "id": [1, 2]}) == 2


def test_scan_pages_through_every_row_exactly_once_in_key_order(
    store: Store, make_people: MakePeople
) -> None:
    table = make_people(0)
    ids = random.Random(7).sample(range(1, 100_000), 1234)
    with store.admin.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "name": f"P{i}"} for i in ids])
    connector = store.open()
    seen: list[int] = []
    after = None
    while page := connector.scan("people", key="id", columns=["name"], after=after, limit=100):
        assert all(set(row) == {"id", "name"} for row in page)
        seen.extend(row["id"] for row in page)
        after = page[-1]["id"]
    assert seen == sorted(ids)


def test_calls_outside_a_transaction_commit_at_once(store: Store, make_people: MakePeople) -> None:
    make_people(3)
    store.open().delete("people", key="id", keys=[1])
    assert [r["id"] for r in store.rows("people")] == [2, 3]


def test_a_transaction_commits_its_changes_together(store: Store, make_people: MakePeople) -> None:
    make_people(3)
    connector = store.open()
    with connector.transaction():
        connector.delete("people", key="id", keys=[1])
        connector.update("people", key="id", rows=[{"id": 2, "name": "Masked"}])
        assert connector.count("people") == 2  # the transaction sees its own changes
    assert [(r["id"], r["name"]) for r in store.rows("people")] == [(2, "Masked"), (3, "Person 3")]


def test_a_transaction_rolls_back_everything_when_an_error_escapes(
    store: Store, make_people: MakePeople
) -> None:
    make_people(3)
    connector = store.open()

    def erase_then_fail() -> None:
        with connector.transaction():
            connector.delete("people", key="id", keys=[1, 2])
            connector.update("people", key="id", rows=[{"id": 3, "name": "Masked"}])
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        erase_then_fail()
    assert [(r["id"], r["name"]) for r in store.rows("people")] == [
        (1, "Person 1"),
        (2, "Person 2"),
        (3, "Person 3"),
    ]
    assert connector.count("people") == 3  # and the connector still works afterwards


def test_a_statement_the_database_refuses_rolls_back_the_transaction(
    store: Store, make_people: MakePeople
) -> None:
    make_people(3)
    connector = store.open()

    def erase() -> None:
        with connector.transaction():
            connector.delete("people", key="id", keys=[1])
            connector.update("people", key="id", rows=[{"id": 2, "name": None}])  # NOT NULL

    with pytest.raises(ConnectorError) as caught:
        erase()
    assert caught.value.system == "crm"
    assert caught.value.dataset == "people"
    assert not caught.value.retryable
    assert [r["id"] for r in store.rows("people")] == [1, 2, 3]


def test_a_refused_value_is_never_quoted_in_the_error(
    store: Store, make_people: MakePeople
) -> None:
    make_people(3, unique_email=True)
    with pytest.raises(ConnectorError) as caught:
        store.open().update("people", key="id", rows=[{"id": 2, "email": email(1)}])
    assert email(1) not in str(caught.value)
    assert email(1) not in "".join(traceback.format_exception(caught.value))
    assert "system `crm`, dataset `people`" in str(caught.value)


@pytest.mark.parametrize("value", INJECTIONS)
def test_sql_injection_in_values_matches_nothing_and_harms_nothing(
    store: Store, make_people: MakePeople, value: str
) -> None:
    make_people(5)
    connector = store.open()
    assert connector.fetch("people", where={"email": [value], "id": [value]}, columns=["id"]) == []
    assert connector.count("people", where={"name": [value]}) == 0
    assert connector.update("people", key="email", rows=[{"email": value, "name": "x"}]) == 0
    assert connector.delete("people", key="email", keys=[value]) == 0
    assert connector.delete("people", key="id", keys=[value]) == 0
    assert [r["name"] for r in store.rows("people")] == [f"Person {i}" for i in range(1, 6)]


def test_a_value_carrying_sql_is_stored_as_plain_text(
    store: Store, make_people: MakePeople
) -> None:
    make_people(2)
    connector = store.open()
    assert connector.update("people", key="id", rows=[{"id": 1, "name": INJECTIONS[1]}]) == 1
    assert connector.fetch("people", where={"name": [INJECTIONS[1]]}, columns=["id"]) == [{"id": 1}]
    assert len(store.rows("people")) == 2


def test_an_injected_table_name_is_only_ever_a_missing_table(
    store: Store, make_people: MakePeople
) -> None:
    make_people(2)
    with pytest.raises(ConnectorError, match="does not exist in the live"):
        store.open().count("people; DROP TABLE people; --")
    assert len(store.rows("people")) == 2


def test_an_injected_column_name_is_only_ever_a_missing_column(
    store: Store, make_people: MakePeople
) -> None:
    make_people(2)
    evil = "email) OR 1=1; DROP TABLE people; --"
    with pytest.raises(ConnectorError, match="does not exist in table `people`"):
        store.open().delete("people", key=evil, keys=["x"])
    assert len(store.rows("people")) == 2


def test_a_table_missing_from_the_live_database_is_named(
    store: Store, make_people: MakePeople
) -> None:
    make_people(1)
    with pytest.raises(ConnectorError) as caught:
        store.open().fetch("customers", where={"email": ["a@example.org"]}, columns=["id"])
    assert caught.value.system == "crm"
    assert caught.value.dataset == "customers"
    assert "table `customers` does not exist in the live" in str(caught.value)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.fetch("people", where={"e_mail": ["x"]}, columns=["id"]),
        lambda c: c.fetch("people", where={"email": ["x"]}, columns=["e_mail"]),
        lambda c: c.update("people", key="id", rows=[{"id": 1, "e_mail": None}]),
        lambda c: c.delete("people", key="e_mail", keys=["x"]),
        lambda c: c.scan("people", key="e_mail", columns=["id"]),
    ],
    ids=["where", "columns", "update", "delete", "scan"],
)
def test_a_column_missing_from_the_live_table_is_named_with_the_real_ones(
    store: Store, make_people: MakePeople, call: object
) -> None:
    make_people(2)
    with pytest.raises(ConnectorError) as caught:
        call(store.open())  # type: ignore[operator]
    message = str(caught.value)
    assert "column `e_mail` does not exist in table `people`" in message
    assert "(it has: id, email, phone, name)" in message
    assert caught.value.dataset == "people"
    assert [r["email"] for r in store.rows("people")] == [email(1), email(2)]


def test_columns_lists_what_the_live_table_has(store: Store, make_people: MakePeople) -> None:
    make_people(0)
    assert store.open().columns("people") == ["id", "email", "phone", "name"]


def test_a_schema_qualified_table_is_found(store: Store, make_people: MakePeople) -> None:
    make_people(2)
    schema = {"sqlite": "main", "postgresql": "public"}.get(store.kind)
    schema = schema or store.environ["CRM_DATABASE_URL"].rsplit("/", 1)[1]
    assert store.open().count(f"{schema}.people") == 2


SERVER_KINDS = [
    pytest.param("postgresql", marks=pytest.mark.postgresql),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_an_unreachable_database_gives_a_retryable_error_naming_the_system(
    kind: str, tmp_path: Path
) -> None:
    url = {
        "postgresql": "postgresql://postgres@127.0.0.1:1/crm",
        "mariadb": "mysql://root@127.0.0.1:1/crm",
    }
    connector = open_connector(
        "billing",
        Connection(type=kind, url_env="BILLING_URL"),
        base_dir=tmp_path,
        environ={"BILLING_URL": url[kind]},
    )
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.fetch("invoices", where={"email": ["a@example.org"]}, columns=["id"])
    finally:
        connector.close()
    assert caught.value.retryable
    assert caught.value.system == "billing"
    assert caught.value.dataset == "invoices"
    assert "127.0.0.1:1" in str(caught.value)
    assert "Connection refused" in str(caught.value)


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_an_unknown_database_is_not_worth_retrying(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue(f"{kind}_database")  # the server is up
    url = {
        "postgresql": "postgresql://postgres@127.0.0.1:5432/no_such_db",
        "mariadb": "mysql://root@127.0.0.1:3306/no_such_db",
    }
    connector = open_connector(
        "crm", Connection(type=kind, url_env="U"), base_dir=tmp_path, environ={"U": url[kind]}
    )
    try:
        with pytest.raises(ConnectorError, match="no_such_db") as caught:
            connector.test_connection()
    finally:
        connector.close()
    assert not caught.value.retryable


def test_a_missing_sqlite_file_is_reported_and_never_created(tmp_path: Path) -> None:
    connector = open_connector(
        "crm", Connection(type="sqlite", path="nope.db"), base_dir=tmp_path, environ={}
    )
    with pytest.raises(ConnectorError, match=r"nope\.db does not exist") as caught:
        connector.test_connection()
    connector.close()
    assert not (tmp_path / "nope.db").exists()
    assert caught.value.system == "crm"


def test_a_sqlite_url_from_the_environment_works_too(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1), (2)")
    engine.dispose()
    connector = open_connector(
        "app",
        Connection(type="sqlite", url_env="APP_DB"),
        base_dir=tmp_path,
        environ={"APP_DB": f"sqlite:///{tmp_path / 'app.db'}"},
    )
    assert connector.count("t") == 2
    connector.close()


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("postgresql", "mysql://root:s3cret@db/crm", "needs a PostgreSQL URL"),
        ("mysql", "postgresql://u:s3cret@db/crm", "needs a MySQL/MariaDB URL"),
        ("postgresql", "not a url s3cret", "not a valid database URL"),
    ],
)
def test_a_url_for_the_wrong_database_is_refused_without_showing_it(
    kind: str, url: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConnectorError, match=message) as caught:
        open_connector(
            "crm", Connection(type=kind, url_env="U"), base_dir=tmp_path, environ={"U": url}
        )
    assert "s3cret" not in str(caught.value)
    assert caught.value.system == "crm"


def test_unknown_sql_options_are_refused(tmp_path: Path) -> None:
    connection = Connection(type="sqlite", path="x.db", options={"batchsize": 10})
    with pytest.raises(ConnectorError, match=r"malformed connection options.*`batchsize`"):
        open_connector("crm", connection, base_dir=tmp_path, environ={})
