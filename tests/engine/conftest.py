"""A small shop on real SQLite, PostgreSQL and MariaDB, and a platform store built by the
migrations. Throwaway databases are created per test session and dropped after; a service
that is down fails the tests with a clear message instead of skipping them."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.identity import Identity, parse_identity
from lawful.engine.retry import RetryPolicy
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
FAST_RETRY = RetryPolicy(attempts=3, base=0.001, cap=0.01)
TODAY = date(2026, 11, 22)
BACKENDS = ["sqlite", "postgresql", "mariadb"]


# --- throwaway server databases -------------------------------------------------------------


def _admin_engine(url: str, service: str) -> sa.Engine:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        pytest.fail(
            f"{service} is not reachable at {url} ({error.orig}); start it with scripts/services"
        )
    return engine


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database name; dropped after the session."""
    admin = _admin_engine(PG_ADMIN, "PostgreSQL")
    name = f"lawful_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def mariadb_database() -> Iterator[str]:
    admin = _admin_engine(MARIADB_ADMIN, "MariaDB")
    name = f"lawful_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


# --- the shop schema and its people -----------------------------------------------------------

METADATA = sa.MetaData()


def _pk() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)


sa.Table(
    "addresses",
    METADATA,
    _pk(),
    sa.Column("street", sa.String(100)),
    sa.Column("city", sa.String(50)),
)
sa.Table(
    "people",
    METADATA,
    _pk(),
    sa.Column("email", sa.String(255), unique=True),
    sa.Column("phone", sa.String(20)),
    sa.Column("full_name", sa.String(100)),
    sa.Column("birth_date", sa.Date),
    sa.Column("address_id", sa.ForeignKey("addresses.id")),
    sa.Column("last_order_id", sa.Integer),
)
sa.Table(
    "address_notes",
    METADATA,
    _pk(),
    sa.Column("address_id", sa.ForeignKey("addresses.id")),
    sa.Column("note", sa.String(200)),
)
sa.Table(
    "cards", METADATA, _pk(), sa.Column("last4", sa.String(4)), sa.Column("holder", sa.String(100))
)
sa.Table(
    "people_cards",
    METADATA,
    _pk(),
    sa.Column("person_id", sa.ForeignKey("people.id")),
    sa.Column("card_id", sa.ForeignKey("cards.id")),
)
sa.Table(
    "orders",
    METADATA,
    _pk(),
    sa.Column("person_id", sa.ForeignKey("people.id")),
    sa.Column("placed_at", sa.DateTime),
    sa.Column("note", sa.String(200)),
    sa.Column("gift_for", sa.String(100)),
)
sa.Table(
    "order_lines",
    METADATA,
    _pk(),
    sa.Column("order_id", sa.ForeignKey("orders.id")),
    sa.Column("product", sa.String(100)),
    sa.Column("quantity", sa.Integer),
)
sa.Table(
    "shipments",
    METADATA,
    _pk(),
    sa.Column("line_id", sa.ForeignKey("order_lines.id")),
    sa.Column("tracking", sa.String(40)),
)
sa.Table(
    "invoices",
    METADATA,
    _pk(),
    sa.Column("order_id", sa.ForeignKey("orders.id")),
    sa.Column("billing_name", sa.String(100)),
    sa.Column("amount", sa.Numeric(10, 2)),
    sa.Column("issued_on", sa.Date),
)
sa.Table("acme_tickets", METADATA, _pk(), sa.Column("email", sa.String(255)))

ROWS: dict[str, list[dict[str, Any]]] = {
    "addresses": [
        {"id": 1, "street": "1 Shared Street", "city": "Lyon"},  # Alice and Bob live here
        {"id": 2, "street": "2 Carol Road", "city": "Paris"},
        {"id": 3, "street": "3 Dan Avenue", "city": "Nice"},
    ],
    "people": [
        {"id": 1, "email": "alice@example.org", "phone": "+33612345678", "full_name": "Alice Martin",
         "birth_date": date(1990, 5, 17), "address_id": 1, "last_order_id": 11},
        {"id": 2, "email": "bob@example.org", "phone": "+33698765432", "full_name": "Bob Martin",
         "birth_date": date(1988, 2, 3), "address_id": 1, "last_order_id": 13},
        {"id": 3, "email": "carol@example.org", "phone": None, "full_name": "Carol Durand",
         "birth_date": date(1975, 12, 1), "address_id": 2, "last_order_id": None},
        {"id": 4, "email": "dan@example.org", "phone": "+33611111111", "full_name": "Dan Roux",
         "birth_date": None, "address_id": 3, "last_order_id": None},
    ],
    "address_notes": [
        {"id": 1, "address_id": 1, "note": "Bob: ring twice"},
        {"id": 2, "address_id": 2, "note": "Carol: gate code"},
    ],
    "cards": [
        {"id": 1, "last4": "4242", "holder": "A and B Martin"},  # shared by Alice and Bob
        {"id": 2, "last4": "1111", "holder": "Alice Martin"},
        {"id": 3, "last4": "9999", "holder": "Dan Roux"},
    ],
    "people_cards": [
        {"id": 1, "person_id": 1, "card_id": 1},
        {"id": 2, "person_id": 2, "card_id": 1},
        {"id": 3, "person_id": 1, "card_id": 2},
        {"id": 4, "person_id": 4, "card_id": 3},
    ],
    "orders": [
        {"id": 11, "person_id": 1, "placed_at": datetime(2024, 3, 1, 10, 0), "note": "leave at the door", "gift_for": "Zoe"},
        {"id": 12, "person_id": 1, "placed_at": datetime(2010, 1, 15, 9, 30), "note": None, "gift_for": None},
        {"id": 13, "person_id": 2, "placed_at": datetime(2025, 6, 1, 18, 0), "note": "Bob's order", "gift_for": None},
    ],
    "order_lines": [
        {"id": 101, "order_id": 11, "product": "Kettle", "quantity": 1},
        {"id": 102, "order_id": 11, "product": "Mug", "quantity": 2},
        {"id": 103, "order_id": 12, "product": "Lamp", "quantity": 1},
        {"id": 104, "order_id": 13, "product": "Chair", "quantity": 4},
    ],
    "shipments": [
        {"id": 1001, "line_id": 101, "tracking": "TRK-1"},
        {"id": 1002, "line_id": 103, "tracking": "TRK-2"},
        {"id": 1003, "line_id": 104, "tracking": "TRK-3"},
    ],
    "invoices": [
        {"id": 501, "order_id": 11, "billing_name": "Alice Martin", "amount": Decimal("59.90"), "issued_on": date(2024, 3, 1)},
        {"id": 502, "order_id": 12, "billing_name": "Alice Martin", "amount": Decimal("20.00"), "issued_on": date(2010, 1, 15)},
        {"id": 503, "order_id": 13, "billing_name": "Bob Martin", "amount": Decimal("80.00"), "issued_on": date(2025, 6, 1)},
    ],
    "acme_tickets": [{"id": 1, "email": "alice@example.org"}],
}  # fmt: skip


def fill(engine: sa.Engine, rows: dict[str, list[dict[str, Any]]] = ROWS) -> None:
    METADATA.drop_all(engine)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        for table in METADATA.sorted_tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])


def snapshot(engine: sa.Engine) -> dict[str, dict[int, dict[str, Any]]]:
    """Every row of every shop table as the live database has it (reflected, so a dropped
    table or column shows), by primary key, with values in plain comparable form."""
    live = sa.MetaData()
    live.reflect(engine, only=lambda name, _: name in METADATA.tables)
    found: dict[str, dict[int, dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in live.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
            found[table.name] = {r["id"]: {k: _plain(v) for k, v in r.items()} for r in rows}
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass
class Shop:
    """The shop on one backend: its database, its data map, and how to reach it."""

    backend: str
    engine: sa.Engine
    datamap: DataMap
    map_path: Path
    base_dir: Path
    environ: dict[str, str] = field(default_factory=dict)

    def datastores(self, retry: RetryPolicy = FAST_RETRY) -> Datastores:
        factory = registry_factory(self.datamap, base_dir=self.base_dir, environ=self.environ)
        return Datastores(factory, retry=retry)

    def identity(self, *pairs: str) -> Identity:
        return parse_identity(pairs, datamap=self.datamap)

    def snapshot(self) -> dict[str, dict[int, dict[str, Any]]]:
        return snapshot(self.engine)

    def reset(self) -> None:
        """Back to the initial rows."""
        fill(self.engine)


def write_map(tmp_path: Path, connection: str) -> tuple[DataMap, Path]:
    text = (FIXTURES / "shop.yaml").read_text().replace("__CONNECTION__", connection)
    path = tmp_path / "lawful.yaml"
    path.write_text(text)
    return load_datamap(path).datamap, path


def make_shop(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Shop:
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.sqlite'}")
        connection, environ = "{type: sqlite, path: shop.sqlite}", {}
    elif backend == "postgresql":
        name = request.getfixturevalue("pg_database")
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        engine = sa.create_engine(url.replace("postgresql:", "postgresql+psycopg:"))
        connection, environ = "{type: postgresql, url_env: SHOP_URL}", {"SHOP_URL": url}
    else:
        name = request.getfixturevalue("mariadb_database")
        url = f"mysql://root@127.0.0.1:3306/{name}"
        engine = sa.create_engine(url.replace("mysql:", "mysql+pymysql:"))
        connection, environ = "{type: mariadb, url_env: SHOP_URL}", {"SHOP_URL": url}
    fill(engine)
    datamap, path = write_map(tmp_path, connection)
    request.addfinalizer(engine.dispose)
    return Shop(backend, engine, datamap, path, tmp_path, environ)


@pytest.fixture(params=BACKENDS)
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Shop:
    """The shop on each real backend in turn."""
    return make_shop(request.param, tmp_path, request)


@pytest.fixture
def sqlite_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Shop:
    return make_shop("sqlite", tmp_path, request)


@pytest.fixture
def pg_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Shop:
    return make_shop("postgresql", tmp_path, request)


# --- the platform store ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite platform store built once by the migrations, copied for each test."""
    path = tmp_path_factory.mktemp("store") / "lawful.db"
    upgrade_database(url=f"sqlite:///{path}")
    return path


@pytest.fixture
def sessions(store_template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    path = tmp_path / "lawful.db"
    shutil.copy(store_template, path)
    engine = create_store_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_master(bytes(range(32)))


# --- the rental club: a schema nobody designed for Lawful --------------------------------------

CLUB = sa.MetaData()
sa.Table(
    "places",
    CLUB,
    sa.Column("place_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("line1", sa.String(100), nullable=False),
    sa.Column("city", sa.String(50)),
)
sa.Table(
    "members",
    CLUB,
    sa.Column("member_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("Email", sa.String(255)),
    sa.Column("work_email", sa.String(255)),
    sa.Column("full_name", sa.String(100)),
    sa.Column("phone", sa.String(80), nullable=False),
    sa.Column("place_id", sa.ForeignKey("places.place_id")),
)
sa.Table(
    "staff",
    CLUB,
    sa.Column("staff_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100)),
    sa.Column("place_id", sa.ForeignKey("places.place_id")),
)
sa.Table(  # not in the map
    "branches",
    CLUB,
    sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("place_id", sa.ForeignKey("places.place_id"), nullable=False),
)
sa.Table(
    "baskets",
    CLUB,
    sa.Column("basket_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("member_no", sa.ForeignKey("members.member_no")),
    sa.Column("label", sa.String(50)),
)
sa.Table(
    "basket_items",
    CLUB,
    sa.Column("basket_id", sa.ForeignKey("baskets.basket_id"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("product", sa.String(50)),
    sa.Column("added_on", sa.Date),
)
sa.Table(
    "item_returns",
    CLUB,
    sa.Column("return_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("basket_id", sa.Integer),
    sa.Column("line_no", sa.Integer),
    sa.Column("reason", sa.String(100)),
    sa.ForeignKeyConstraint(
        ["basket_id", "line_no"], ["basket_items.basket_id", "basket_items.line_no"]
    ),
)
sa.Table(
    "loans",
    CLUB,
    sa.Column("loan_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("member_no", sa.ForeignKey("members.member_no")),
    sa.Column("film", sa.String(100)),
)
sa.Table(
    "payments",
    CLUB,
    sa.Column("payment_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("member_no", sa.ForeignKey("members.member_no")),
    sa.Column("loan_id", sa.ForeignKey("loans.loan_id")),
    sa.Column("amount", sa.Numeric(8, 2)),
)
sa.Table(
    "newsletter",
    CLUB,
    sa.Column("sub_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(255)),
    sa.Column("alt_email", sa.String(255)),
    sa.Column("topic", sa.String(50)),
)

CLUB_ROWS: dict[str, list[dict[str, Any]]] = {
    "places": [
        {"place_id": 1, "line1": "1 Common Court", "city": "Paris"},  # Ann, staff 7, branch 1
        {"place_id": 2, "line1": "2 Bo Lane", "city": "Lille"},
    ],
    "members": [
        {"member_no": 1, "Email": "Ann.Lee@Example.org ", "work_email": None, "full_name": "Ann Lee", "phone": "+33600000001", "place_id": 1},
        {"member_no": 2, "Email": "bo@example.org", "work_email": "BO@work.example", "full_name": "Bo Kim", "phone": "+33600000002", "place_id": 2},
        {"member_no": 3, "Email": "cy@example.org", "work_email": "cy@work.example", "full_name": "Cy Ray", "phone": "+33600000003", "place_id": None},
    ],
    "staff": [{"staff_no": 7, "name": "Dee Staff", "place_id": 1}],
    "branches": [{"branch_id": 1, "place_id": 1}, {"branch_id": 2, "place_id": 2}],
    "baskets": [
        {"basket_id": 1, "member_no": 1, "label": "weekend"},
        {"basket_id": 2, "member_no": 1, "label": "kids"},
        {"basket_id": 3, "member_no": 2, "label": "bo"},
    ],
    "basket_items": [
        {"basket_id": 1, "line_no": 1, "product": "Film A", "added_on": date(2020, 1, 1)},
        {"basket_id": 1, "line_no": 2, "product": "Film B", "added_on": date(2026, 6, 1)},
        {"basket_id": 1, "line_no": 3, "product": "Film C", "added_on": date(2020, 1, 1)},
        {"basket_id": 2, "line_no": 1, "product": "Film D", "added_on": date(2020, 1, 1)},
        {"basket_id": 3, "line_no": 1, "product": "Film E", "added_on": date(2026, 6, 1)},
        {"basket_id": 3, "line_no": 2, "product": "Film F", "added_on": date(2026, 6, 1)},
    ],
    "item_returns": [
        {"return_id": 1, "basket_id": 1, "line_no": 2, "reason": "scratched"},
        {"return_id": 2, "basket_id": 3, "line_no": 1, "reason": "Bo changed his mind"},
        {"return_id": 3, "basket_id": 3, "line_no": 2, "reason": "Bo again"},
    ],
    "loans": [
        {"loan_id": 10, "member_no": 1, "film": "Film A"},
        {"loan_id": 11, "member_no": 2, "film": "Film E"},
    ],
    "payments": [
        {"payment_id": 100, "member_no": 1, "loan_id": 10, "amount": Decimal("3.00")},
        {"payment_id": 101, "member_no": 2, "loan_id": 10, "amount": Decimal("1.50")},  # Bo paid for Ann
        {"payment_id": 102, "member_no": 2, "loan_id": 11, "amount": Decimal("4.00")},
    ],
    "newsletter": [
        {"sub_id": 1, "email": "ANN.LEE@EXAMPLE.ORG ", "alt_email": None, "topic": "news"},
        {"sub_id": 2, "email": "ann.old@example.org", "alt_email": "Ann.Lee@example.org", "topic": "deals"},
        {"sub_id": 3, "email": "cy@example.org", "alt_email": "bo@example.org", "topic": "news"},
    ],
}  # fmt: skip
CLUB_DEFAULTS = {"__MEMBERS_ERASE__": "mask", "__PHONE_ERASE__": "hash"}


def club_snapshot(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every club table, sorted, in plain comparable form."""
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in CLUB.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()
            found[table.name] = [{k: _plain(v) for k, v in r.items()} for r in rows]
    return found


@dataclass
class Club(Shop):
    """The rental club on one backend."""

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:  # type: ignore[override]
        return club_snapshot(self.engine)

    def reset(self) -> None:
        CLUB.drop_all(self.engine)
        CLUB.create_all(self.engine)
        with self.engine.begin() as conn:
            for table in CLUB.sorted_tables:
                conn.execute(table.insert(), CLUB_ROWS[table.name])

    def remap(self, **choices: str) -> None:
        """Load the club's map again with some placeholders set otherwise."""
        wanted = {**CLUB_DEFAULTS, **{f"__{k.upper()}__": v for k, v in choices.items()}}
        text = (FIXTURES / "rental.yaml").read_text().replace("__CONNECTION__", self.connection)
        for placeholder, value in wanted.items():
            text = text.replace(placeholder, value)
        self.map_path.write_text(text)
        self.datamap = load_datamap(self.map_path).datamap

    connection: str = ""


def make_club(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Club:
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'club.sqlite'}")
        connection, environ = "{type: sqlite, path: club.sqlite}", {}
        sa.event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA foreign_keys=ON"))
    elif backend == "postgresql":
        name = request.getfixturevalue("pg_database")
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        engine = sa.create_engine(url.replace("postgresql:", "postgresql+psycopg:"))
        connection, environ = "{type: postgresql, url_env: CLUB_URL}", {"CLUB_URL": url}
    else:
        name = request.getfixturevalue("mariadb_database")
        url = f"mysql://root@127.0.0.1:3306/{name}"
        engine = sa.create_engine(url.replace("mysql:", "mysql+pymysql:"))
        connection, environ = "{type: mariadb, url_env: CLUB_URL}", {"CLUB_URL": url}
    path = tmp_path / "club.yaml"
    club = Club(backend, engine, None, path, tmp_path, environ, connection)  # type: ignore[arg-type]
    club.reset()
    club.remap()
    request.addfinalizer(engine.dispose)
    return club


@pytest.fixture(params=BACKENDS)
def club(request: pytest.FixtureRequest, tmp_path: Path) -> Club:
    """The rental club on each real backend in turn."""
    return make_club(request.param, tmp_path, request)


@pytest.fixture
def pg_club(request: pytest.FixtureRequest, tmp_path: Path) -> Club:
    return make_club("postgresql", tmp_path, request)


@pytest.fixture
def sqlite_club(request: pytest.FixtureRequest, tmp_path: Path) -> Club:
    return make_club("sqlite", tmp_path, request)
