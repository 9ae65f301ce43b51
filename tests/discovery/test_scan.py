"""`lawful scan` classifies columns by their values first, and drafts a map that checks."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from lawful.cli import app
from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import load_datamap
from lawful.discovery.scan import scan_systems

from ..support.databases import ThrowawayDatabases

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
# Categories a scan can tell from names and values; the example map's other categories
# (evaluations, contracts, timekeeping …) are purposes of use, which no value shows.
DETECTABLE = {
    "name", "contact.email", "contact.phone", "contact.postal_address", "demographic.birth_date",
    "identifier.ip_address", "identifier.caller_id", "financial.bank_account",
    "identifier.government_id.social_security", "communication.message",
}  # fmt: skip
runner = CliRunner()

EMAILS = [f"person{i}.tester@example.org" for i in range(30)]
TEMPLATES = [
    "Hello {first_name}, your order {order_id} has shipped.",
    "Reminder: your plan renews soon.",
]


def _misleading_schema(conn: sa.Connection) -> None:
    conn.exec_driver_sql(
        "CREATE TABLE people_misc (id INTEGER PRIMARY KEY, notes TEXT, misc TEXT, col7 TEXT, "
        "email_template TEXT NOT NULL, phone_model TEXT)"
    )
    for i, email in enumerate(EMAILS):
        conn.execute(
            sa.text("INSERT INTO people_misc VALUES (:i, :e, :e, :e, :t, :m)"),
            {"i": i + 1, "e": email, "t": TEMPLATES[i % 2], "m": f"Model X{i}"},
        )


def _scan_categories(url: str, tmp_path: Path) -> dict[str, str | None]:
    systems = scan_systems(
        datamap=None, url=url, url_env="SCAN_URL", base_dir=tmp_path, environ={"SCAN_URL": url}
    )
    [table] = [t for t in systems[0].tables if t.table.name == "people_misc"]
    return {name: found.category for name, found in table.columns.items()}


@pytest.fixture
def mariadb_database(mariadb_database_factory: ThrowawayDatabases) -> Iterator[str]:
    """A throwaway MariaDB database (its URL), dropped after the test."""
    url = mariadb_database_factory("lawful_disc")
    yield url
    mariadb_database_factory.drop(url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_values_win_over_misleading_column_names(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'misc.db'}"
        sqlite3.connect(tmp_path / "misc.db").close()
    elif backend == "postgresql":
        url = request.getfixturevalue("pg_database_factory")("lawful_disc")
    else:
        url = request.getfixturevalue("mariadb_database")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _misleading_schema(conn)
    engine.dispose()
    found = _scan_categories(url, tmp_path)
    # Emails in columns whose names say nothing (or something else) are emails …
    assert found["notes"] == found["misc"] == found["col7"] == "contact.email"
    # … and a column named for emails that holds none is not personal.
    assert found["email_template"] is None
    assert found["phone_model"] is None


def _known_values(folder: Path) -> list[str]:
    """A few real sampled values (emails, phones, names, IBANs) the scan read."""
    values = []
    for db, query in [
        (
            "hris.sqlite",
            "SELECT work_email, phone, last_name, iban FROM employees JOIN payslips USING (employee_id) LIMIT 3",
        ),
        ("crm.sqlite", "SELECT email, first_name, last_name, phone FROM contacts LIMIT 3"),
        ("contact_eu.sqlite", "SELECT email, street_address FROM customers LIMIT 3"),
    ]:
        with sqlite3.connect(folder / db) as conn:
            values += [str(v) for row in conn.execute(query) for v in row if v and len(str(v)) > 5]
    return values


def test_scan_drafts_the_example_companys_personal_columns_and_the_draft_checks(
    small_company: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    draft_path = tmp_path / "draft.yaml"
    caplog.set_level(logging.DEBUG)
    result = runner.invoke(
        app, ["scan", "-m", str(EXAMPLE_MAP), "--data", str(small_company), "-o", str(draft_path)]
    )
    assert result.exit_code == 0, result.output
    as_json = runner.invoke(
        app, ["scan", "-m", str(EXAMPLE_MAP), "--data", str(small_company), "--format", "json"]
    )
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert {s["system"] for s in report["systems"]} >= {"crm", "hris", "contact_eu"}

    draft = yaml.safe_load(draft_path.read_text(encoding="utf-8"))
    drafted = {
        (d["system"], d["table"], name): spec["category"]
        for d in draft["datasets"].values()
        for name, spec in d["fields"].items()
    }
    example = load_datamap(EXAMPLE_MAP).datamap
    declared = {
        (d.system, d.table or did, name): spec.category
        for did, d in example.datasets.items()
        for name, spec in d.fields.items()
        if spec.category in DETECTABLE
    }
    matching = sum(drafted.get(place) == category for place, category in declared.items())
    assert len(declared) > 50
    assert matching / len(declared) >= 0.9, sorted(
        p for p, c in declared.items() if drafted.get(p) != c
    )
    assert draft["datasets"]["contacts"]["identities"] == {"email": "email", "phone": "phone"}
    assert (
        draft["datasets"]["payslips"]["fields"]["employee_id"]["references"]
        == "employees.employee_id"
    )

    # Sampled values never leave the scan: not in its output, the draft (comments included) or logs.
    written = result.output + as_json.stdout + draft_path.read_text(encoding="utf-8") + caplog.text
    known = _known_values(small_company)
    assert len(known) >= 10
    assert [v for v in known if v in written] == []

    # Once the organisation is filled in, the draft passes `lawful check`.
    draft["organization"] = {
        "name": "Example SAS",
        "address": {"street": "1 place Bellecour", "city": "Lyon", "country": "FR"},
        "contact": {"email": "dpo@example.org"},
        "jurisdictions": ["gdpr"],
        "security_measures": [
            {"name": "Encryption", "description": "Disks and links are encrypted."}
        ],
    }
    filled = small_company / "filled.yaml"
    filled.write_text(yaml.safe_dump(draft, allow_unicode=True), encoding="utf-8")
    assert check_datamap(load_datamap(filled)) == []


def test_scan_refuses_a_url_variable_that_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAWFUL_NO_SUCH_URL", raising=False)
    result = runner.invoke(app, ["scan", "--url-env", "LAWFUL_NO_SUCH_URL"])
    assert result.exit_code == 1
    assert "LAWFUL_NO_SUCH_URL is not set" in result.output


def test_scan_reads_no_more_rows_than_asked(small_company: Path) -> None:
    result = runner.invoke(
        app,
        [
            "scan",
            "-m",
            str(EXAMPLE_MAP),
            "--data",
            str(small_company),
            "--rows",
            "5",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    tables = [t for s in json.loads(result.stdout)["systems"] for t in s["tables"]]
    assert max(t["rows_sampled"] for t in tables) == 5
    assert all(c["values_sampled"] <= 5 for t in tables for c in t["columns"])
