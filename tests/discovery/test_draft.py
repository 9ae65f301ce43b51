"""A draft from a PostgreSQL schema nobody wrote for Lawful: odd names, foreign keys with
ON DELETE, a composite key, a self-reference, a table without a key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from lawful.cli import app
from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import load_datamap
from lawful.discovery.drift import personal_drift
from lawful.engine.live import check_live

runner = CliRunner()
PEOPLE = [
    ("Emily Johnson", "emily.johnson"),
    ("Camille Dubois", "camille.dubois"),
    ("Γιώργος Παπαδόπουλος", "g.papadopoulos"),
]
SCHEMA = [
    'CREATE TABLE "Customer Data" (id serial PRIMARY KEY, "E-Mail Address" text NOT NULL, '
    'full_name text, born date, manager_id int REFERENCES "Customer Data"(id))',
    'CREATE TABLE orders (order_id int PRIMARY KEY, customer int NOT NULL REFERENCES "Customer Data"(id) '
    "ON DELETE CASCADE, shipped_to text)",
    "CREATE TABLE order_lines (order_id int REFERENCES orders(order_id) ON DELETE CASCADE, "
    "line_no int, product text, PRIMARY KEY (order_id, line_no))",
    "CREATE TABLE audit_log (happened_at timestamp, message text)",
]


@pytest.fixture
def odd_database(pg_database_factory: Callable[[str], str]) -> str:
    url = pg_database_factory("lawful_draft")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.exec_driver_sql(statement)
        for i in range(40):
            name, user = PEOPLE[i % 3]
            conn.execute(
                sa.text(
                    'INSERT INTO "Customer Data" ("E-Mail Address", full_name, born) VALUES (:e, :n, :b)'
                ),
                {"e": f"{user}{i}@example.org", "n": name, "b": f"19{60 + i}-03-0{1 + i % 9}"},
            )
            conn.execute(
                sa.text("INSERT INTO orders VALUES (:i, :c, :a)"),
                {"i": i, "c": i + 1, "a": f"{i + 1} rue de la Paix"},
            )
            conn.execute(sa.text("INSERT INTO order_lines VALUES (:i, 1, 'Widget')"), {"i": i})
    engine.dispose()
    return url


def test_a_draft_of_an_unfamiliar_schema_checks_and_matches_the_live_store(
    odd_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAWFUL_SCAN_URL", odd_database)
    draft_path = tmp_path / "draft.yaml"
    result = runner.invoke(app, ["scan", "--url-env", "LAWFUL_SCAN_URL", "-o", str(draft_path)])
    assert result.exit_code == 0, result.output
    text = draft_path.read_text(encoding="utf-8")
    assert (
        "postgresql+psycopg" not in text + result.output
    )  # the URL (and its password) stays in the env
    draft = yaml.safe_load(text)
    customers = draft["datasets"]["customer_data"]
    assert customers["table"] == "Customer Data"
    assert customers["identities"] == {"email": "E-Mail Address"}
    assert customers["fields"]["E-Mail Address"] == {
        "category": "contact.email",
        "erase": {"strategy": "replace", "value": "[erased]"},  # NOT NULL: no nullify
    }
    assert customers["fields"]["full_name"] == {"category": "name", "erase": "nullify"}
    assert customers["fields"]["born"]["category"] == "demographic.birth_date"
    assert "references" not in customers["fields"]["manager_id"]  # a self-reference is a cycle
    assert (
        "manager_id: {category: identifier.internal, erase: keep}  # foreign key left out" in text
    )
    orders = draft["datasets"]["orders"]
    assert orders["fields"]["customer"]["references"] == "customer_data.id"
    assert orders["fields"]["shipped_to"]["category"] == "contact.postal_address"
    assert draft["datasets"]["order_lines"]["primary_key"] == ["order_id", "line_no"]
    assert "# TODO: the table has no primary key" in text

    draft["organization"] = {
        "name": "Odd Ltd",
        "address": {"street": "1 High Street", "city": "Leeds", "country": "GB"},
        "contact": {"email": "dpo@example.org"},
        "jurisdictions": ["gdpr"],
        "security_measures": [
            {"name": "Encryption", "description": "Disks and links are encrypted."}
        ],
    }
    filled = tmp_path / "filled.yaml"
    filled.write_text(yaml.safe_dump(draft, allow_unicode=True), encoding="utf-8")
    loaded = load_datamap(filled)
    assert check_datamap(loaded) == []
    live = check_live(loaded=loaded, base_dir=tmp_path, environ={"LAWFUL_SCAN_URL": odd_database})
    # Every column is declared, every foreign key but the self-reference followed, every
    # erase strategy accepted; what is left is for a person to decide (the keyless log's
    # key, the composite key, email indexes, the self-reference).
    assert {p.code for p in live} <= {"D005", "D007", "D012"}, [str(p) for p in live]
    assert [p.message for p in live if p.code == "D005"] == [
        "live foreign key `Customer Data(manager_id)` → `Customer Data(id)` is not declared as a reference"
    ]
    assert (
        personal_drift(loaded=loaded, base_dir=tmp_path, environ={"LAWFUL_SCAN_URL": odd_database})
        == []
    )


def test_scan_says_in_one_line_when_the_url_is_no_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAWFUL_SCAN_URL", "https://user:secret@example.org/")
    result = runner.invoke(app, ["scan", "--url-env", "LAWFUL_SCAN_URL"])
    assert result.exit_code == 1
    assert "LAWFUL_SCAN_URL is not a database URL" in result.output
    assert "secret" not in result.output
    assert len(result.output.strip().splitlines()) <= 2
