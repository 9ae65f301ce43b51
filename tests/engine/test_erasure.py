"""Erasure on real SQLite, PostgreSQL and MariaDB: exactly the person's rows change."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.loader import load_datamap
from lawful.engine.erasure import is_suppressed, preview_erasure, run_erasure
from lawful.engine.jobs import JobReport
from lawful.engine.models import Job, JobStep, StepStatus
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

from .conftest import ROWS, fill

TODAY = __import__("datetime").date(2026, 11, 22)


def _erase(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring, *pairs: str, batch_size: int = 500
) -> JobReport:
    with shop.datastores() as datastores:
        return run_erasure(
            sessions,
            datamap=shop.datamap,
            identity=shop.identity(*pairs),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
            batch_size=batch_size,
        )


def alice_erased(before: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    """The whole database as it must be after erasing Alice, and nothing else."""
    after = copy.deepcopy(before)
    after["people"][1].update(
        email=keyring.erasure_hash("alice@example.org"),
        phone=None,
        full_name="(erased)",
        birth_date="1990-01-01",
    )
    for table, keys in {
        "people_cards": (1, 3),
        "order_lines": (101, 102, 103),
        "shipments": (1001, 1002),
    }.items():
        for key in keys:
            del after[table][key]
    after["cards"][2].update(last4=None, holder=None)
    after["orders"][11].update(note=None, gift_for=None)
    after["invoices"][502].update(billing_name=None)  # 501 is within its 10 years: kept whole
    return after


def test_erasure_changes_exactly_the_persons_rows(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = shop.snapshot()
    report = _erase(shop, sessions, keyring, "email=Alice@example.org")
    assert report.status == "done"
    assert shop.snapshot() == alice_erased(before, keyring)


def test_the_result_says_what_was_kept_until_when_and_why(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    summary = _erase(shop, sessions, keyring, "email=alice@example.org").summary
    kept = {(k["dataset"], k["reason"]): k for k in summary["kept"]}
    invoice = kept["invoices", "legal_obligation"]
    assert (invoice["records"], invoice["until"]) == (1, "2034-03-01")
    assert "C. com. L123-22" in invoice["why"]
    assert "GDPR Art. 17(3)(b)" in invoice["why"]
    assert kept["addresses", "shared"]["records"] == 1
    assert kept["cards", "shared"]["records"] == 1
    assert summary["forward"] == [
        {
            "dataset": "acme_tickets",
            "client": "acme",
            "client_name": "Acme Retail",
            "method": "email",
            "address": "dpo@acme.example",
        }
    ]
    assert [m["dataset"] for m in summary["manual"]] == ["paper_forms"]


def test_a_row_pointed_at_by_nobody_else_is_erased(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = sqlite_shop.snapshot()
    _erase(sqlite_shop, sessions, keyring, "email=carol@example.org")
    after = sqlite_shop.snapshot()
    assert after["addresses"][2] == {"id": 2, "street": None, "city": None}
    assert after["addresses"][1] == before["addresses"][1]
    assert after["people"][2] == before["people"][2]


def test_the_erased_person_joins_the_suppression_list_as_a_keyed_hash(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Any
) -> None:
    _erase(sqlite_shop, sessions, keyring, "email=alice@example.org")
    with sessions() as session:
        assert is_suppressed(
            session, keyring=keyring, identity=sqlite_shop.identity("email= ALICE@example.org")
        )
        assert not is_suppressed(
            session, keyring=keyring, identity=sqlite_shop.identity("email=bob@example.org")
        )
    assert b"alice@example.org" not in (tmp_path / "lawful.db").read_bytes()


def test_each_batch_is_one_checkpointed_step_done_once(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    report = _erase(sqlite_shop, sessions, keyring, "email=alice@example.org", batch_size=1)
    with sessions() as session:
        steps = session.scalars(select(JobStep).where(JobStep.job_id == report.job_id)).all()
    assert (
        len(steps) == 11
    )  # 1 person, 2 card links, 1 card, 1 order, 3 lines, 2 shipments, 1 invoice
    assert {(s.status, s.attempts) for s in steps} == {(StepStatus.done, 1)}
    assert {s.dataset: s.batch for s in steps}["order_lines"] == 2
    assert sum(o.rows_changed for o in report.datasets) == 11


def test_erasing_again_changes_nothing(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    _erase(shop, sessions, keyring, "email=alice@example.org")
    once = shop.snapshot()
    again = _erase(shop, sessions, keyring, "phone=+33612345678")  # no longer matches anything
    assert again.status == "done"
    assert again.datasets == []
    assert shop.snapshot() == once


def test_a_dry_run_changes_nothing_and_records_no_job(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = sqlite_shop.snapshot()
    with sqlite_shop.datastores() as datastores, sessions() as session:
        preview = preview_erasure(
            session,
            datamap=sqlite_shop.datamap,
            identity=sqlite_shop.identity("email=alice@example.org"),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )
        assert session.scalar(select(func.count()).select_from(Job)) == 0
    assert preview.summary()["planned"]["order_lines"] == {"action": "delete", "rows": 3}
    assert sqlite_shop.snapshot() == before


def test_a_file_system_is_erased_in_the_same_job_as_the_databases(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Any
) -> None:
    (tmp_path / "newsletter").mkdir()
    (tmp_path / "newsletter" / "subscribers.csv").write_text(
        "id,email,name\n1,alice@example.org,Alice\n2,bob@example.org,Bob\n"
    )
    case = tmp_path / "case.yaml"
    case.write_text(
        "include: [lawful.yaml]\n"
        "systems:\n  newsletter: {name: Newsletter, owner: Marketing, location: FR, connection: {type: csv, path: newsletter}}\n"
        "datasets:\n  subscribers:\n    system: newsletter\n    subject: customer\n    identities: {email: email}\n"
        "    erase: delete\n    fields:\n      id: {category: identifier.internal}\n"
        "      email: {category: contact.email}\n      name: {category: name}\n"
    )
    sqlite_shop.datamap = load_datamap(case).datamap
    before = sqlite_shop.snapshot()
    report = _erase(sqlite_shop, sessions, keyring, "email=alice@example.org")
    assert report.status == "done"
    assert (
        tmp_path / "newsletter" / "subscribers.csv"
    ).read_text() == "id,email,name\n2,bob@example.org,Bob\n"
    assert sqlite_shop.snapshot() == alice_erased(before, keyring)


def test_a_hold_on_some_categories_keeps_those_fields_and_erases_the_rest(
    sqlite_shop: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Any
) -> None:
    text = (
        (tmp_path / "lawful.yaml")
        .read_text()
        .replace(
            "applies_to: {datasets: [invoices]}",
            "applies_to: {datasets: [invoices], categories: [commercial.billing]}",
        )
    )
    (tmp_path / "lawful.yaml").write_text(text)
    sqlite_shop.datamap = load_datamap(tmp_path / "lawful.yaml").datamap
    before = sqlite_shop.snapshot()
    report = _erase(sqlite_shop, sessions, keyring, "email=alice@example.org")
    after = sqlite_shop.snapshot()
    # Invoice 501 is within its 10 years: its amount stays, the name on it goes.
    assert after["invoices"][501] == {**before["invoices"][501], "billing_name": None}
    hold = next(k for k in report.summary["kept"] if k["reason"] == "legal_obligation")
    assert (hold["dataset"], hold["fields"], hold["until"]) == (
        "invoices",
        ["amount"],
        "2034-03-01",
    )


def test_an_erasure_of_a_person_whose_card_hundreds_of_others_use_keeps_it_and_changes_only_theirs(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    # Card 1: Alice holds 3 links and 600 links of Bob, Carol and Dan point at it (shared,
    # however many). Card 2: Alice alone holds 3 links (hers, though more than one row).
    others = [{"id": 1000 + n, "person_id": 2 + n % 3, "card_id": 1} for n in range(600)]
    alices = [{"id": 20 + n, "person_id": 1, "card_id": 1 + n // 2} for n in range(4)]
    fill(shop.engine, {**ROWS, "people_cards": [*ROWS["people_cards"], *alices, *others]})
    before = shop.snapshot()
    report = _erase(shop, sessions, keyring, "email=alice@example.org")
    expected = alice_erased(before, keyring)
    for link in alices:
        del expected["people_cards"][link["id"]]
    assert report.status == "done"
    assert shop.snapshot() == expected
    kept = {(k["dataset"], k["reason"]): k["records"] for k in report.summary["kept"]}
    assert kept["cards", "shared"] == 1
