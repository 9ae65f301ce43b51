from __future__ import annotations

import dataclasses
import hashlib
import io
import sqlite3
from pathlib import Path

import pytest
from rich.console import Console

from lawful.demo.clock import AS_OF
from lawful.demo.families import FAMILIES
from lawful.demo.generate import DemoError, GenerationResult, generate_company
from lawful.demo.plan import FamilyContext
from lawful.demo.schema import SYSTEMS, database_file


def _generate(out_dir: Path, *, seed: int = 7, workers: int = 1) -> GenerationResult:
    return generate_company(
        subjects=1_000,
        out_dir=out_dir,
        seed=seed,
        console=Console(file=io.StringIO()),
        workers=workers,
    )


def _digests(out_dir: Path) -> dict[str, str]:
    """SHA-256 of every table's rows in primary-key order, keyed `file/table`."""
    digests: dict[str, str] = {}
    for path in sorted(out_dir.glob("*.sqlite")):
        with sqlite3.connect(path) as db:
            names = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            for (table,) in names:
                digest = hashlib.sha256()
                for row in db.execute(f"SELECT * FROM {table} ORDER BY 1"):
                    digest.update(repr(row).encode())
                digests[f"{path.name}/{table}"] = digest.hexdigest()
    return digests


def _rows(result: GenerationResult) -> dict[tuple[str, str], int]:
    return {(count.system, count.table): count.rows for count in result.tables}


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_generation_writes_one_database_per_system_and_no_partial_file(
    company: GenerationResult,
) -> None:
    written = sorted(path.name for path in company.out_dir.iterdir())
    assert written == sorted(database_file(system) for system in SYSTEMS)


def test_subjects_are_split_across_the_kinds_of_people_in_fixed_shares(
    company: GenerationResult,
) -> None:
    rows = _rows(company)
    people = {
        ("ats", "candidates"): 100,
        ("hris", "employees"): 20,
        ("crm", "contacts"): 40,
        ("marketing", "prospects"): 140,
        ("web", "visitors"): 300,
        ("contact_eu", "customers"): 220,
        ("contact_us", "customers"): 180,
    }
    assert {key: rows[key] for key in people} == people
    assert sum(people.values()) == company.subjects


def test_parents_have_several_child_rows_each(company: GenerationResult) -> None:
    rows = _rows(company)
    assert rows[("ats", "applications")] > rows[("ats", "candidates")]
    assert rows[("hris", "payslips")] > 5 * rows[("hris", "employees")]
    assert rows[("billing", "invoices")] > 3 * rows[("billing", "contracts")]
    assert rows[("web", "page_views")] > 2 * rows[("web", "visitors")]
    assert rows[("contact_eu", "ticket_messages")] > rows[("contact_eu", "tickets")]
    assert all(count > 0 for count in rows.values()), "every table gets rows"


def test_row_counts_match_the_databases(company: GenerationResult) -> None:
    for count in company.tables:
        path = company.out_dir / database_file(count.system)
        assert _query(path, f"SELECT COUNT(*) FROM {count.table}") == [(count.rows,)]


def test_summary_names_every_table_with_its_rows_and_the_time_taken(
    company: GenerationResult,
) -> None:
    summary = company.summary()
    assert f"{company.total_rows:,} rows" in summary
    assert f"in {company.seconds:.1f} s" in summary
    for count in company.tables:
        assert any(
            count.table in line and f"{count.rows:,}" in line for line in summary.splitlines()
        ), count


def test_the_same_seed_gives_identical_rows_in_one_process_or_two(
    company: GenerationResult, tmp_path: Path
) -> None:
    again = _generate(tmp_path, workers=2)
    assert _digests(again.out_dir) == _digests(company.out_dir)


def test_another_seed_gives_other_rows_in_every_table(
    company: GenerationResult, tmp_path: Path
) -> None:
    other = _digests(_generate(tmp_path, seed=8).out_dir)
    same = {key for key, digest in _digests(company.out_dir).items() if other[key] == digest}
    assert same == set()


def test_generating_again_replaces_the_databases(tmp_path: Path) -> None:
    _generate(tmp_path / "data", seed=1)
    second = _digests(_generate(tmp_path / "data", seed=2).out_dir)
    assert second == _digests(_generate(tmp_path / "fresh", seed=2).out_dir)
    assert not list((tmp_path / "data").glob(".*"))


def test_a_failed_generation_leaves_the_previous_databases_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _digests(_generate(tmp_path, seed=1).out_dir)

    def broken(ctx: FamilyContext) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(
        FAMILIES, "website", dataclasses.replace(FAMILIES["website"], generate=broken)
    )
    with pytest.raises(RuntimeError, match="disk on fire"):
        _generate(tmp_path, seed=2)
    assert _digests(tmp_path) == before
    assert not list(tmp_path.glob(".*"))


def test_an_output_folder_that_is_a_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    target = tmp_path / "demo-data"
    target.write_text("not a folder")
    with pytest.raises(DemoError, match=r"demo-data is a file, not a folder.*--out"):
        _generate(target)


def test_an_output_folder_that_cannot_be_created_is_refused_with_a_clear_message(
    tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DemoError, match=r"cannot write into .*file/demo-data.*--out"):
        _generate(tmp_path / "file" / "demo-data")


def test_fewer_than_one_subject_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="at least 1"):
        generate_company(subjects=0, out_dir=tmp_path, seed=1, console=Console(file=io.StringIO()))


def test_some_client_customers_share_a_household_address_and_a_card(
    company: GenerationResult,
) -> None:
    for system in ("contact_eu", "contact_us"):
        path = company.out_dir / database_file(system)
        shared_addresses = _query(
            path,
            "SELECT street_address, postal_code, city FROM customers "
            "GROUP BY 1, 2, 3 HAVING COUNT(*) > 1",
        )
        shared_cards = _query(
            path,
            "SELECT card_token FROM ivr_transactions JOIN calls USING (call_id) "
            "WHERE card_token IS NOT NULL GROUP BY card_token "
            "HAVING COUNT(DISTINCT customer_id) = 2",
        )
        assert shared_addresses, system
        assert shared_cards, system


def test_some_payment_cards_are_on_file_for_two_business_contacts(
    company: GenerationResult,
) -> None:
    shared = _query(
        company.out_dir / "billing.sqlite",
        "SELECT card_fingerprint FROM payment_cards GROUP BY card_fingerprint "
        "HAVING COUNT(DISTINCT contact_id) = 2",
    )
    assert shared


def test_history_reaches_past_the_longest_retention_period(company: GenerationResult) -> None:
    # Invoices are kept 10 years (C. com. L123-22): a retention sweep must find older ones.
    ten_years_ago = AS_OF.replace(year=AS_OF.year - 10).isoformat()
    old = _query(
        company.out_dir / "billing.sqlite",
        f"SELECT COUNT(*) FROM invoices WHERE issued_on < '{ten_years_ago}'",
    )
    assert int(str(old[0][0])) > 0
