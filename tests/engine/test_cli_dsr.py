"""`lawful dsr …` and `lawful db upgrade` as an operator uses them."""

from __future__ import annotations

import base64
import os
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lawful.cli import app
from lawful.cli import dsr as dsr_cli

KEY = base64.b64encode(bytes(range(32))).decode()
TODAY = date(2026, 11, 22)  # the shop's invoice of 2024-03-01 is kept ten years, to 2034-03-01


class _FixedDate(date):
    @classmethod
    def today(cls) -> _FixedDate:
        return cls(TODAY.year, TODAY.month, TODAY.day)


@pytest.fixture(autouse=True)
def _platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("LAWFUL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "platform"))
    monkeypatch.chdir(tmp_path)


def _lawful(shop: Any, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "-m", str(shop.map_path)], env=shop.environ)


def test_access_writes_the_package_and_says_a_key_was_generated(
    sqlite_shop: Any, tmp_path: Path
) -> None:
    result = _lawful(
        sqlite_shop, "dsr", "access", "-i", "email=alice@example.org", "-o", "alice.zip"
    )
    assert result.exit_code == 0, result.output
    assert "found 15 record(s)" in result.output
    assert "generated a new encryption key" in result.output
    assert "to forward to client Acme Retail" in result.output
    with zipfile.ZipFile(tmp_path / "alice.zip") as archive:
        assert "report.html" in archive.namelist()
    again = _lawful(
        sqlite_shop, "dsr", "access", "-i", "email=alice@example.org", "-o", "again.zip"
    )
    assert "generated a new encryption key" not in again.output


def test_erase_dry_run_then_erase_then_nothing_left(
    sqlite_shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dsr_cli, "date", _FixedDate)  # `lawful dsr erase` counts from today
    before = sqlite_shop.snapshot()
    dry = _lawful(sqlite_shop, "dsr", "erase", "-i", "email=alice@example.org", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "order_lines: would delete 3 row(s)" in dry.output
    assert sqlite_shop.snapshot() == before
    real = _lawful(sqlite_shop, "dsr", "erase", "-i", "email=alice@example.org")
    assert real.exit_code == 0, real.output
    assert "order_lines: done, 3 of 3 row(s) changed" in real.output
    assert "kept 1 record(s) of invoices until 2034-03-01" in real.output
    assert sqlite_shop.snapshot()["order_lines"].keys() == {104}


def test_rectify_and_restrict_from_the_command_line(sqlite_shop: Any) -> None:
    fixed = _lawful(
        sqlite_shop,
        "dsr",
        "rectify",
        "-i",
        "email=alice@example.org",
        "--set",
        "people.full_name=Alice Dupont",
    )
    assert fixed.exit_code == 0, fixed.output
    assert sqlite_shop.snapshot()["people"][1]["full_name"] == "Alice Dupont"
    restricted = _lawful(
        sqlite_shop, "dsr", "restrict", "-i", "email=alice@example.org", "--reason", "legal_claims"
    )
    assert restricted.exit_code == 0, restricted.output
    assert "restricted 15 record(s) of 15 found" in restricted.output
    lifted = _lawful(sqlite_shop, "dsr", "restrict", "-i", "email=alice@example.org", "--lift")
    assert "lifted 15 record(s)" in lifted.output
    wrong = _lawful(
        sqlite_shop, "dsr", "restrict", "-i", "email=alice@example.org", "--reason", "because"
    )
    assert wrong.exit_code == 1
    assert "unknown reason 'because'" in wrong.output


@pytest.mark.parametrize(
    ("identity", "message"),
    [("email=alice@", "'alice@' is not an email address"), ("phone=12", "not a phone number")],
)
def test_a_malformed_identity_is_one_clear_line_and_changes_nothing(
    sqlite_shop: Any, identity: str, message: str
) -> None:
    before = sqlite_shop.snapshot()
    result = _lawful(sqlite_shop, "dsr", "erase", "-i", identity)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert sqlite_shop.snapshot() == before


def test_a_missing_table_fails_naming_system_and_dataset(sqlite_shop: Any, tmp_path: Path) -> None:
    import sqlalchemy as sa

    with sqlite_shop.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE shipments"))
    result = _lawful(sqlite_shop, "dsr", "erase", "-i", "email=alice@example.org")
    assert result.exit_code == 1
    assert "system `shop`, dataset `shipments`: table `shipments` does not exist" in result.output
    assert "Traceback" not in result.output


def test_a_configured_store_is_upgraded_by_db_upgrade_first(
    sqlite_shop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    refused = _lawful(sqlite_shop, "dsr", "access", "-i", "email=alice@example.org")
    assert refused.exit_code == 1
    assert "LAWFUL_ENCRYPTION_KEY is not set" in refused.output
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", KEY)
    not_ready = _lawful(sqlite_shop, "dsr", "access", "-i", "email=alice@example.org")
    assert not_ready.exit_code == 1
    assert "run `lawful db upgrade`" in not_ready.output
    upgraded = CliRunner().invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "is at revision" in upgraded.output
    works = _lawful(sqlite_shop, "dsr", "access", "-i", "email=alice@example.org", "--dry-run")
    assert works.exit_code == 0, works.output
    assert not (tmp_path / "platform").exists()  # the configured store was used, not the default


def test_datastore_files_are_found_in_the_data_folder_given(
    sqlite_shop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stores").mkdir()
    (tmp_path / "shop.sqlite").rename(tmp_path / "stores" / "shop.sqlite")
    missing = _lawful(sqlite_shop, "dsr", "access", "-i", "email=alice@example.org", "--dry-run")
    assert missing.exit_code == 1
    assert "system `shop`, dataset `people`: cannot be read" in missing.output
    given = _lawful(
        sqlite_shop,
        "dsr",
        "access",
        "-i",
        "email=alice@example.org",
        "--dry-run",
        "--data",
        str(tmp_path / "stores"),
    )
    assert "found 15 record(s)" in given.output
    monkeypatch.setenv("LAWFUL_DATASTORE_DIR", str(tmp_path / "stores"))
    from_env = _lawful(sqlite_shop, "dsr", "access", "-i", "email=alice@example.org", "--dry-run")
    assert "found 15 record(s)" in from_env.output


def test_a_dry_run_that_the_real_run_would_fail_says_why_in_one_line_and_exits_1(
    sqlite_club: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dsr_cli, "date", _FixedDate)
    sqlite_club.remap(phone_erase="nullify")  # members.phone is NOT NULL
    before = sqlite_club.snapshot()
    dry = _lawful(sqlite_club, "dsr", "erase", "-i", "email=ann.lee@example.org", "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "the real run would fail" in dry.output
    assert "NOT NULL" in dry.output
    assert "Traceback" not in dry.output
    assert sqlite_club.snapshot() == before


def test_the_plan_command_says_which_link_owns_a_dataset(sqlite_club: Any) -> None:
    result = _lawful(sqlite_club, "dsr", "plan", "-i", "email=ann.lee@example.org")
    assert result.exit_code == 0, result.output
    assert "payments: a row is the person's when member_no → members.member_no" in " ".join(
        result.output.split()
    )
