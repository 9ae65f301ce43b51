"""Access and portability on real SQLite, PostgreSQL and MariaDB: exactly the person's rows."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.access import AccessResult, run_access
from lawful.engine.errors import IdentityError
from lawful.engine.models import Job, JobKind, JobStatus
from lawful.engine.package import REDACTED, write_access_package
from lawful.store.crypto import Keyring

ALICE = {
    "people": {1},
    "addresses": {1},
    "people_cards": {1, 3},
    "cards": {1, 2},
    "orders": {11, 12},
    "order_lines": {101, 102, 103},
    "shipments": {1001, 1002},
    "invoices": {501, 502},
    "address_notes": set(),
}


def _access(
    shop: Any,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    *pairs: str,
    portability: bool = False,
) -> AccessResult:
    with shop.datastores() as datastores, sessions() as session:
        result = run_access(
            session,
            datamap=shop.datamap,
            identity=shop.identity(*pairs),
            datastores=datastores,
            keyring=keyring,
            portability=portability,
        )
        session.commit()
    return result


def _keys(result: AccessResult) -> dict[str, set[int]]:
    return {d.labels.dataset: {row["id"] for row in d.rows} for d in result.datasets}


def test_access_returns_exactly_the_persons_rows(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    result = _access(shop, sessions, keyring, "email=ALICE@example.org ")
    assert _keys(result) == ALICE
    people = next(d for d in result.datasets if d.labels.dataset == "people")
    assert people.rows[0]["full_name"] == "Alice Martin"


def test_a_shared_address_or_card_never_pulls_in_the_other_person(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    alice, bob = (
        _keys(_access(shop, sessions, keyring, "email=alice@example.org")),
        _keys(_access(shop, sessions, keyring, "email=bob@example.org")),
    )
    # Both see the address and the card they share ...
    assert 1 in alice["addresses"]
    assert 1 in bob["addresses"]
    assert 1 in alice["cards"]
    assert 1 in bob["cards"]
    # ... but nothing else of each other: not the person, their card links, orders or notes.
    for dataset in ("people", "people_cards", "orders", "order_lines", "shipments", "invoices"):
        assert not alice[dataset] & bob[dataset], dataset
    assert alice["address_notes"] == set()  # Bob's courier note on the shared address
    assert bob["cards"] == {1}


def test_the_same_person_is_found_by_phone(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    assert _keys(_access(shop, sessions, keyring, "phone=06 12 34 56 78")) == ALICE


def test_fields_are_labelled_with_what_the_map_says(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    result = _access(sqlite_shop, sessions, keyring, "email=alice@example.org")
    people = next(d.labels for d in result.datasets if d.labels.dataset == "people")
    assert people.fields["email"].category_name == "Email address"
    assert next((p.name, p.legal_basis) for p in people.purposes) == (
        "Selling and delivering orders",
        "Contract (GDPR Art. 6(1)(b))",
    )
    assert [r.name for r in people.recipients] == ["Parcel Carrier SA"]
    invoices = next(d.labels for d in result.datasets if d.labels.dataset == "invoices")
    (retention,) = invoices.retention
    assert "Invoices: 10 years" in retention
    assert "(C. com. L123-22)" in retention


def test_the_access_run_is_recorded_as_a_job_without_the_identity_in_clear(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Path
) -> None:
    result = _access(sqlite_shop, sessions, keyring, "email=alice@example.org")
    with sessions() as session:
        job = session.get_one(Job, result.job_id)
        assert (job.kind, job.status) == (JobKind.access, JobStatus.done)
        assert job.result == {"summary": {"found": {k: len(v) for k, v in ALICE.items()}}}
    assert b"alice@example.org" not in (tmp_path / "lawful.db").read_bytes()


def test_the_package_holds_json_a_csv_per_dataset_and_the_article_15_report(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Path
) -> None:
    with sqlite_shop.engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET note = '<script>alert(1)</script>' WHERE id = 11"))
    result = _access(sqlite_shop, sessions, keyring, "email=alice@example.org")
    path = write_access_package(
        result=result, datamap=sqlite_shop.datamap, path=tmp_path / "out" / "alice.zip"
    )
    assert path.stat().st_mode & 0o077 == 0
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        data = json.loads(archive.read("data.json"))
        orders = list(csv.DictReader(io.StringIO(archive.read("orders.csv").decode())))
        report = archive.read("report.html").decode()
    assert names == {"data.json", "report.html"} | {f"{d}.csv" for d, keys in ALICE.items() if keys}
    by_id = {d["id"]: d for d in data["datasets"]}
    assert [r["id"] for r in by_id["orders"]["records"]] == [11, 12]
    assert by_id["people"]["records"][0]["birth_date"] == "1990-05-17"
    # Data about someone else (the gift's recipient) is redacted everywhere.
    assert by_id["orders"]["records"][0]["gift_for"] == REDACTED
    assert orders[0]["gift_for"] == REDACTED
    assert "Zoe" not in report
    for section in (
        "15(1)(a)",
        "15(1)(b)",
        "15(1)(c)",
        "15(1)(d)",
        "15(1)(e)",
        "15(1)(f)",
        "15(1)(g)",
        "15(1)(h)",
        "15(2)",
    ):
        assert section in report, section
    assert "CNIL" in report
    assert "<script>" not in report
    assert "&lt;script&gt;" in report
    assert data["forwarded_to"] == []  # a package claims only the forwards that happened


def test_portability_keeps_only_what_the_person_provided_under_consent_or_contract(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Path
) -> None:
    result = _access(sqlite_shop, sessions, keyring, "email=alice@example.org", portability=True)
    fields = {d.labels.dataset: set(d.labels.fields) for d in result.datasets}
    assert "invoices" not in fields  # kept under a legal obligation, not consent or contract
    assert fields["people"] == {"email", "phone", "full_name", "birth_date"}
    assert fields["orders"] == {"note"}  # not the gift recipient (about others), not keys
    path = write_access_package(result=result, datamap=sqlite_shop.datamap, path=tmp_path / "p.zip")
    with zipfile.ZipFile(path) as archive:
        assert "report.html" not in archive.namelist()
        assert json.loads(archive.read("data.json"))["format"] == "lawful-portability/1"


def test_identity_values_carrying_sql_find_nothing_and_harm_nothing(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = shop.snapshot()
    # Quotes and equal signs are allowed in an address's local part (RFC 5322 atext).
    assert _keys(_access(shop, sessions, keyring, "email=a'OR'1'='1@example.org")) == {
        d: set() for d in ALICE
    }
    for payload in ("alice@example.org'--", "x@y.z';DROP/**/TABLE/**/people;--"):
        with pytest.raises(IdentityError, match="is not an email address"):
            _access(shop, sessions, keyring, f"email={payload}")
    assert shop.snapshot() == before
