"""`lawful check --live` and `lawful inspect` on a rental shop's schema nobody designed for
Lawful, built on real SQLite, PostgreSQL and MariaDB databases: a shared address table
(customers, staff and an undeclared store table), a payment tied to its customer and to a
rental, a composite key, two email columns, a NOT NULL column under nullify, a foreign key
that refuses deletes, a column the map forgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from lawful.cli import app

from ..support.databases import ThrowawayDatabases

runner = CliRunner()


def shop_ddl(kind: str) -> list[str]:
    q = "`" if kind == "mariadb" else '"'
    email_index = {
        # The expression the engine compares (`lower(trim(…))`); `lower(…)` alone serves not.
        "postgresql": f"CREATE INDEX customer_email_ci ON customer (lower(trim({q}Email{q})))",
        "mariadb": f"CREATE INDEX customer_email ON customer ({q}Email{q})",
        "sqlite": f"CREATE INDEX customer_email_nocase ON customer ({q}Email{q} COLLATE NOCASE)",
    }[kind]
    return [
        "CREATE TABLE address (address_id INTEGER PRIMARY KEY, line1 VARCHAR(40) NOT NULL, "
        "city VARCHAR(40))",
        f"CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, {q}Email{q} VARCHAR(120) "
        "NOT NULL, backup_email VARCHAR(120), full_name VARCHAR(80) NOT NULL, "
        "loyalty_code VARCHAR(8), address_id INTEGER, marketing_score INTEGER, "
        "FOREIGN KEY (address_id) REFERENCES address (address_id))",
        "CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, full_name VARCHAR(80), "
        "address_id INTEGER, FOREIGN KEY (address_id) REFERENCES address (address_id))",
        "CREATE TABLE store (store_id INTEGER PRIMARY KEY, address_id INTEGER NOT NULL, "
        "FOREIGN KEY (address_id) REFERENCES address (address_id) ON DELETE RESTRICT)",
        "CREATE TABLE rental (rental_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, "
        "rented_on DATE, FOREIGN KEY (customer_id) REFERENCES customer (customer_id))",
        "CREATE TABLE payment (payment_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, "
        "rental_id INTEGER, amount INTEGER, note VARCHAR(200) NOT NULL, "
        "FOREIGN KEY (customer_id) REFERENCES customer (customer_id), "
        "FOREIGN KEY (rental_id) REFERENCES rental (rental_id) ON DELETE RESTRICT)",
        "CREATE TABLE basket_line (customer_id INTEGER NOT NULL, line_no INTEGER NOT NULL, "
        "sku VARCHAR(20), PRIMARY KEY (customer_id, line_no), "
        "FOREIGN KEY (customer_id) REFERENCES customer (customer_id))",
        email_index,
    ]


MAP = """\
version: 1
organization:
  name: Rental Test SARL
  address: {street: 1 rue du Test, city: Paris, country: FR}
  contact: {email: privacy@rental.example}
  jurisdictions: [gdpr]
  security_measures:
    - {name: Encryption, description: Disks and links are encrypted.}
subjects:
  customer: {name: Customers, minimum_age: 16}
  staff: {name: Staff, minimum_age: 18}
systems:
  shop:
    name: Shop
    owner: IT
    location: FR
    connection: CONNECTION
datasets:
  address:
    system: shop
    subject: customer
    primary_key: address_id
    fields:
      address_id: {category: identifier.internal, erase: keep}
      line1: {category: contact.postal_address, erase: {strategy: replace, value: erased}}
      city: {category: contact.postal_address, erase: nullify}
  customer:
    system: shop
    subject: customer
    primary_key: customer_id
    identities: {email: Email, backup_email: backup_email}
    fields:
      customer_id: {category: identifier.internal, erase: keep}
      Email: {category: contact.email, erase: hash}
      backup_email: {category: contact.email, erase: nullify}
      full_name: {category: name, erase: nullify}
      loyalty_code: {category: identifier.customer, erase: {strategy: replace, value: "[removed-code]"}}
      middle_name: {category: name, erase: nullify}
      address_id:
        category: identifier.internal
        references: {to: address.address_id, direction: to}
  staff:
    system: shop
    subject: staff
    primary_key: staff_id
    fields:
      staff_id: {category: identifier.internal, erase: keep}
      full_name: {category: name, erase: keep}
      address_id: {category: identifier.internal, erase: keep}
  rental:
    system: shop
    subject: customer
    primary_key: rental_id
    erase: delete
    fields:
      rental_id: {category: identifier.internal, erase: keep}
      customer_id: {category: identifier.internal, references: customer.customer_id}
      rented_on: {category: commercial.purchase, erase: keep}
  payment:
    system: shop
    subject: customer
    primary_key: payment_id
    fields:
      payment_id: {category: identifier.internal, erase: keep}
      customer_id: {category: identifier.internal, references: customer.customer_id}
      rental_id: {category: identifier.internal, references: rental.rental_id}
      amount: {category: commercial.purchase, erase: keep}
      note: {category: commercial.purchase, erase: nullify}
  basket_line:
    system: shop
    subject: customer
    primary_key: line_no
    fields:
      customer_id: {category: identifier.internal, references: customer.customer_id}
      line_no: {category: identifier.internal, erase: keep}
      sku: {category: commercial.purchase, erase: keep}
  wishlist:
    system: shop
    subject: customer
    table: wish_list
    fields:
      id: {category: identifier.internal, erase: keep}
      customer_id: {category: identifier.internal, references: customer.customer_id}
checks: {ignore: [L007, L010]}
"""


@dataclass
class Shop:
    kind: str
    map_path: Path
    environ: dict[str, str]
    engine: sa.Engine

    def where(self, line_text: str, needle: str, *, after: str = "") -> str:
        """`file:line:col` of `needle` on the first map line containing `line_text` (after
        the first line that is `after`)."""
        lines = self.map_path.read_text().splitlines()
        start = lines.index(after) if after else 0
        for number, line in enumerate(lines[start:], start=start + 1):
            if line_text in line:
                return f"{self.map_path}:{number}:{line.index(needle) + 1}"
        raise AssertionError(f"no line with {line_text!r}")


def _sqlite(tmp_path: Path) -> tuple[str, dict[str, str], str]:
    return "{type: sqlite, path: shop.sqlite}", {}, f"sqlite:///{tmp_path / 'shop.sqlite'}"


@pytest.fixture
def mariadb_url(mariadb_database_factory: ThrowawayDatabases) -> Iterator[str]:
    """A throwaway MariaDB database, as a user writes its URL; dropped after the test."""
    url = mariadb_database_factory("lawful_live")
    yield url.replace("+pymysql", "")
    mariadb_database_factory.drop(url)


def make_shop(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Shop:
    if kind == "sqlite":
        connection, environ, url = _sqlite(tmp_path)
    else:
        if kind == "postgresql":
            factory: Callable[[str], str] = request.getfixturevalue("pg_database_factory")
            url = factory("lawful_live")
            user_url = url.replace("+psycopg", "")
        else:
            user_url = request.getfixturevalue("mariadb_url")
            url = user_url.replace("mysql://", "mysql+pymysql://")
        connection = f"{{type: {kind}, url_env: SHOP_DATABASE_URL}}"
        environ = {"SHOP_DATABASE_URL": user_url}
    engine = sa.create_engine(url)
    request.addfinalizer(engine.dispose)
    with engine.begin() as conn:
        for statement in shop_ddl(kind):
            conn.exec_driver_sql(statement)
    map_path = tmp_path.resolve() / "lawful.yaml"
    map_path.write_text(MAP.replace("CONNECTION", connection))
    return Shop(kind, map_path, environ, engine)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Shop:
    return make_shop(request, request.param, tmp_path)


def live_lines(shop: Shop) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["check", "--live", "-m", str(shop.map_path)], env=shop.environ)
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if ": D0" in line]


def test_check_live_reports_each_disagreement_with_the_live_store_at_its_map_line(
    shop: Shop,
) -> None:
    code, lines = live_lines(shop)
    found = sorted((line.split(": D0")[0], "D0" + line.split(": D0")[1][:2]) for line in lines)
    nullify = "nullify}"
    expected = [
        (shop.where("table: wish_list", "wish_list"), "D002"),
        (shop.where("middle_name:", "middle_name"), "D003"),
        (fields_of(shop, "customer"), "D004"),
        (
            shop.where("address_id: {category", "address_id", after="  staff:"),
            "D005",
        ),
        (shop.where("  address:", "address", after="datasets:"), "D006"),
        (shop.where("primary_key: line_no", "line_no"), "D007"),
        (shop.where("full_name: {category: name, erase: nullify}", nullify), "D008"),
        (shop.where("note: {category: commercial.purchase, erase: nullify}", nullify), "D008"),
        (shop.where("erase: delete", "delete"), "D010"),
        (shop.where("references: rental.rental_id", "rental.rental_id"), "D011"),
        (shop.where("identities: {email: Email, backup_email", "backup_email}"), "D012"),
    ]
    if shop.kind != "sqlite":  # SQLite stores any length: nothing refuses the long value
        expected.append((shop.where("loyalty_code:", "erase: {strategy"), "D009"))
    assert found == sorted(expected), "\n".join(lines)
    assert code == 1


def test_check_live_prints_the_create_index_statement_for_the_backend(shop: Shop) -> None:
    _, lines = live_lines(shop)
    (d012,) = [line for line in lines if ": D012 " in line]
    statement = {
        "sqlite": "CREATE INDEX customer_backup_email_ci ON customer (lower(trim(backup_email)));",
        "postgresql": "CREATE INDEX customer_backup_email_ci ON customer "
        "(lower(trim(backup_email)));",
        "mariadb": "CREATE INDEX customer_backup_email_ci ON customer (backup_email);",
    }[shop.kind]
    assert d012.endswith(f"run `{statement}`")
    assert "identity `backup_email` of `customer` (`customer.backup_email`)" in d012


def test_check_live_says_which_table_shares_rows_and_which_key_blocks_a_delete(
    shop: Shop,
) -> None:
    _, lines = live_lines(shop)
    (d006,) = [line for line in lines if ": D006 " in line]
    assert "table `store`, not in the map, references `address` through `address_id`" in d006
    (d010,) = [line for line in lines if ": D010 " in line]
    assert "`payment(rental_id)` references them with ON DELETE RESTRICT" in d010
    (d011,) = [line for line in lines if ": D011 " in line]
    assert "other people through `customer_id` (their link to `customer`)" in d011


def test_check_without_live_contacts_no_datastore(shop: Shop) -> None:
    shop.engine.dispose()
    with shop.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE basket_line")
    result = runner.invoke(app, ["check", "-m", str(shop.map_path)], env={})
    assert result.exit_code == 0, result.output
    assert ": D0" not in result.output


def test_an_unreachable_datastore_is_one_line_without_traceback(tmp_path: Path) -> None:
    map_path = tmp_path.resolve() / "lawful.yaml"
    map_path.write_text(MAP.replace("CONNECTION", "{type: postgresql, url_env: SHOP_DATABASE_URL}"))
    down = {"SHOP_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"}
    result = runner.invoke(app, ["check", "--live", "-m", str(map_path)], env=down)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if ": D0" in line]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"{map_path}:17:5: D001 system `shop` cannot be read: ")
    assert "unreachable" in lines[0]


def test_inspect_shows_keys_foreign_keys_case_and_indexes_of_one_table(shop: Shop) -> None:
    result = runner.invoke(
        app,
        ["inspect", "shop", "-m", str(shop.map_path), "--table", "customer"],
        env={**shop.environ, "COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines() if line.startswith("│")}
    assert "PK" in rows["customer_id"]
    assert "NOT NULL" in rows["full_name"]
    on_delete = "RESTRICT" if shop.kind == "mariadb" else "NO ACTION"
    assert f"address.address_id ON DELETE {on_delete}" in rows["address_id"]
    case = {"sqlite": "sensitive", "postgresql": "sensitive (default)", "mariadb": "insensitive"}
    assert case[shop.kind] in rows["backup_email"]
    assert "staff" not in result.output  # only the table asked for
    index = {
        "sqlite": "customer_email_nocase (Email COLLATE NOCASE)",
        "postgresql": 'customer_email_ci (lower(TRIM(BOTH FROM "Email")))',
        "mariadb": "customer_email (Email)",
    }[shop.kind]
    assert index in " ".join(result.output.split())


def test_inspect_of_an_unknown_system_is_one_line(shop: Shop) -> None:
    result = runner.invoke(app, ["inspect", "nope", "-m", str(shop.map_path)], env=shop.environ)
    assert result.exit_code == 1
    assert "no system `nope` in the data map (systems: shop)" in result.output


def fields_of(shop: Shop, dataset: str) -> str:
    lines = shop.map_path.read_text().splitlines()
    start = lines.index(f"  {dataset}:")
    number = next(i for i in range(start, len(lines)) if lines[i] == "    fields:")
    return f"{shop.map_path}:{number + 1}:5"
