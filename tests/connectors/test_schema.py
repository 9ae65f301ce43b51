"""The live schema read from real SQLite, PostgreSQL and MariaDB databases: composite keys,
foreign keys with their ON DELETE action, NOT NULL, lengths, case sensitivity, indexes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lawful.connectors import open_connector
from lawful.datamap.models import Connection

if TYPE_CHECKING:
    from .conftest import Store


def build(store: Store) -> None:
    q = "`" if store.kind == "mariadb" else '"'
    blind = {"sqlite": "COLLATE NOCASE", "postgresql": "", "mariadb": "COLLATE utf8mb4_general_ci"}
    exact = {"sqlite": "", "postgresql": 'COLLATE "C"', "mariadb": "COLLATE utf8mb4_bin"}
    statements = [
        "CREATE TABLE shelf (shelf_id INTEGER PRIMARY KEY, label VARCHAR(12) NOT NULL)",
        f"CREATE TABLE member (member_id INTEGER PRIMARY KEY, {q}Mail{q} VARCHAR(90) "
        f"{exact[store.kind]}, alt_mail VARCHAR(90) {blind[store.kind]}, "
        "shelf_id INTEGER, UNIQUE (alt_mail), "
        "FOREIGN KEY (shelf_id) REFERENCES shelf (shelf_id) ON DELETE RESTRICT)",
        "CREATE TABLE loan (member_id INTEGER NOT NULL, loan_no INTEGER NOT NULL, "
        "memo TEXT, PRIMARY KEY (member_id, loan_no), "
        "FOREIGN KEY (member_id) REFERENCES member (member_id) ON DELETE CASCADE)",
    ]
    if store.kind != "mariadb":  # MariaDB has no expression indexes
        statements.append(f"CREATE INDEX member_mail_lower ON member (lower({q}Mail{q}))")
    with store.admin.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def test_the_live_schema_has_composite_keys_foreign_keys_and_not_null(store: Store) -> None:
    build(store)
    live = store.open().schema()
    assert live is not None
    loan, member, shelf = (live.table(n) for n in ("loan", "member", "shelf"))
    assert loan is not None
    assert member is not None
    assert shelf is not None
    assert loan.primary_key == ("member_id", "loan_no")
    assert [(fk.columns, fk.referred_table, fk.referred_columns, fk.on_delete) for fk in
            loan.foreign_keys] == [(("member_id",), "member", ("member_id",), "CASCADE")]  # fmt: skip
    (restrict,) = member.foreign_keys
    assert (restrict.on_delete, restrict.restricts_delete) == ("RESTRICT", True)
    assert [(t.name, fk.columns) for t, fk in live.referrers("member")] == [
        ("loan", ("member_id",))
    ]
    label = shelf.column("label")
    assert label is not None
    assert (label.nullable, label.max_length) == (False, 12)
    assert member.is_unique(["alt_mail"])
    assert not member.is_unique(["shelf_id"])
    assert loan.is_unique(["loan_no", "member_id"])
    assert not loan.is_unique(["loan_no"])


def test_the_live_schema_knows_which_text_columns_ignore_case(store: Store) -> None:
    build(store)
    live = store.open().schema()
    assert live is not None
    member = live.table("member")
    assert member is not None
    mail, alt = member.column("Mail"), member.column("alt_mail")
    assert mail is not None
    assert alt is not None
    assert mail.case_sensitive is True  # the mixed-case column name is kept as written
    assert alt.case_sensitive is (store.kind == "postgresql")  # PostgreSQL: no _ci collation
    shelf_id = member.column("shelf_id")
    assert shelf_id is not None
    assert shelf_id.case_sensitive is None  # no text: no question


def test_expression_indexes_are_read_not_skipped(store: Store) -> None:
    build(store)
    live = store.open().schema()
    assert live is not None
    member = live.table("member")
    assert member is not None
    expressions = [p.text for i in member.indexes for p in i.parts if p.expression]
    if store.kind == "mariadb":
        assert expressions == []
    else:
        assert len(expressions) == 1
        assert expressions[0].lower().startswith("lower(")


def test_the_live_schema_is_read_once_per_connector(store: Store) -> None:
    build(store)
    connector = store.open()
    first = connector.schema()
    with store.admin.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE later (later_id INTEGER PRIMARY KEY)")
    assert connector.schema() is first
    assert first is not None
    assert first.table("later") is None
    fresh = store.open().schema()
    assert fresh is not None
    assert fresh.table("later") is not None


def test_a_file_store_cannot_tell_its_structure(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,email\n1,a@example.org\n")
    connector = open_connector(
        "files", Connection(type="csv", path="."), base_dir=tmp_path, environ={}
    )
    assert connector.schema() is None
