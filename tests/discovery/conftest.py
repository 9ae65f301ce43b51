from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from lawful.demo.generate import generate_company

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture(scope="session")
def small_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example company with 200 people (`lawful demo generate --subjects 200`); tests
    that change it work on a copy."""
    out = tmp_path_factory.mktemp("scan_company")
    generate_company(
        subjects=200, out_dir=out, seed=11, console=Console(file=io.StringIO()), workers=1
    )
    return out


# --- a helpdesk company of our own, on SQLite or PostgreSQL, for recorded scans -------------

import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from lawful.config import Settings  # noqa: E402
from lawful.store.db import create_store_engine, session_factory  # noqa: E402
from lawful.store.migrate import upgrade_database  # noqa: E402

from ..support.databases import copy_store  # noqa: E402

HELPDESK_ROWS = 30
HELPDESK_MAP = """\
version: 1
organization:
  name: Helpdesk Test SAS
  address: {street: 1 rue du Test, city: Lyon, country: FR}
  contact: {email: privacy@helpdesk.example}
  jurisdictions: [gdpr]
subjects:
  customer: {name: Customers, minimum_age: 16}
systems:
  desk:
    name: Helpdesk
    owner: Support
    location: FR
    connection: CONNECTION
datasets:
  customers:
    system: desk
    subject: customer
    primary_key: customer_id
    identities: {email: email}
    fields:
      customer_id: {category: identifier.internal, erase: keep}
      email: {category: contact.email, erase: nullify}
      full_name: {category: name, erase: nullify}
  tickets:
    system: desk
    subject: customer
    primary_key: ticket_id
    fields:
      ticket_id: {category: identifier.internal, erase: keep}
      customer_id: {category: identifier.internal, references: customers.customer_id}
      body: {category: communication.message, erase: nullify}
      status: {category: communication.case_history, erase: keep}
checks: {ignore: [L007, L010]}
"""
FIRST_NAMES = ["Anna", "Marc", "Sofia", "Yannis", "Claire", "Pierre"]
LAST_NAMES = ["Dupont", "Papadopoulos", "Martin", "Bernard", "Nikolaou", "Lefebvre"]


def helpdesk_values(n: int) -> dict[str, str]:
    """Row `n`'s personal values: what a scan may read, and what no store, page or log may
    ever hold afterwards."""
    first, last = FIRST_NAMES[n % 6], LAST_NAMES[(n // 6) % 6]
    return {
        "email": f"{first.lower()}.{last.lower()}{n}@mail.example.org",
        "full_name": f"{first} {last}",
        "body": f"{first} {last} called from +33 6 12 34 {n:02d} 78 about a late parcel; "
        f"please write back to {first.lower()}{n}@inbox.example.net",
        "misc": f"backup{n}.{last.lower()}@contact.example.com",
        "recovery": f"recovery{n}.{first.lower()}@safe.example.io",
        "export": f"export-{n}.{last.lower()}@legacy.example.com",
    }


@dataclass
class Helpdesk:
    kind: str
    map_path: Path
    environ: dict[str, str]
    engine: sa.Engine
    store_url: str
    store_engine: sa.Engine

    def add_column(self, name: str, key: str) -> None:
        """A column added behind the map's back, filled with row values `key`."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE customers ADD COLUMN {name} VARCHAR(200)")
            for n in range(HELPDESK_ROWS):
                conn.execute(
                    sa.text(f"UPDATE customers SET {name} = :v WHERE customer_id = :n"),
                    {"v": helpdesk_values(n)[key], "n": n + 1},
                )

    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.store_engine)

    def settings(self, tmp_path: Path, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "lawful-data", "database_url": self.store_url,
            "encryption_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "map_path": self.map_path, "smtp_host": None,
            "rate_limit_per_minute": 10_000, "rate_limit_burst": 10_000,
        }  # fmt: skip
        return Settings(**(values | overrides))  # type: ignore[arg-type]


def _fill(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email VARCHAR(120), "
            "full_name VARCHAR(80))"
        )
        conn.exec_driver_sql(
            "CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, customer_id INTEGER, "
            "body TEXT, status VARCHAR(20), misc VARCHAR(200))"
        )
        # A table nobody declared, named as a spreadsheet export would be.
        conn.exec_driver_sql(
            'CREATE TABLE "Legacy Export" ("Row" INTEGER PRIMARY KEY, "Contact E-mail" '
            "VARCHAR(200) NOT NULL)"
        )
        for n in range(HELPDESK_ROWS):
            v = helpdesk_values(n)
            conn.execute(
                sa.text('INSERT INTO "Legacy Export" VALUES (:id, :mail)'),
                {"id": n + 1, "mail": v["export"]},
            )
            conn.execute(
                sa.text("INSERT INTO customers VALUES (:id, :email, :name)"),
                {"id": n + 1, "email": v["email"], "name": v["full_name"]},
            )
            conn.execute(
                sa.text("INSERT INTO tickets VALUES (:id, :c, :body, 'open', :misc)"),
                {"id": n + 1, "c": n + 1, "body": v["body"], "misc": v["misc"]},
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def helpdesk(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    platform_store_template: Path,
    pg_database_factory: Callable[[str], str],
) -> Iterator[Helpdesk]:
    """The helpdesk's database and a platform store on the same backend: `tickets.misc`
    holds emails the map does not declare, `tickets.body` is free text naming people, and a
    table the map does not know (`Legacy Export`) has a column named with a space and a dash."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
        connection, environ = "{type: sqlite, path: desk.sqlite}", {}
        store_url = copy_store(platform_store_template, tmp_path, "platform.db")
    else:
        url = pg_database_factory("lawful_scan_desk")
        env = f"DESK_URL_{uuid.uuid4().hex[:6].upper()}"
        connection, environ = f"{{type: postgresql, url_env: {env}}}", {env: url}
        store_url = pg_database_factory("lawful_scan_store")
        upgrade_database(url=store_url)
    engine = sa.create_engine(url)
    _fill(engine)
    map_path = tmp_path.resolve() / "lawful.yaml"
    map_path.write_text(HELPDESK_MAP.replace("CONNECTION", connection))
    store_engine = create_store_engine(store_url)
    yield Helpdesk(request.param, map_path, environ, engine, store_url, store_engine)
    store_engine.dispose()
    engine.dispose()
