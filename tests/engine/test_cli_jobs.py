"""`lawful dsr jobs` and `lawful dsr cancel` as an operator uses them."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lawful.cli import app

from .conftest import Shop

KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(autouse=True)
def _platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("LAWFUL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "platform"))
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", KEY)
    monkeypatch.chdir(tmp_path)


def _lawful(shop: Shop, *args: str, with_map: bool = True) -> Result:
    extra = ["-m", str(shop.map_path)] if with_map else []
    return CliRunner().invoke(app, [*args, *extra], env=shop.environ)


def test_jobs_lists_an_unfinished_erasure_without_personal_data_and_cancel_ends_it(
    sqlite_shop: Shop,
) -> None:
    with sqlite_shop.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER phone_required BEFORE UPDATE OF phone ON people "
            "WHEN NEW.phone IS NULL BEGIN SELECT RAISE(ABORT, 'phone is required'); END"
        )
    erased = _lawful(sqlite_shop, "dsr", "erase", "-i", "email=alice@example.org")
    assert erased.exit_code == 1, erased.output
    job_id = erased.output.split("erase job ")[1].split(":")[0]

    listed = _lawful(sqlite_shop, "dsr", "jobs", with_map=False)

    assert listed.exit_code == 0, listed.output
    assert f"{job_id}  erasure (GDPR Art. 17): failed" in listed.output
    where = (sqlite_shop.base_dir / "shop.sqlite").resolve()
    assert f"  datastore shop: sqlite at {where}\n" in listed.output
    assert "  failed: people: system `shop`, dataset `people`: the database refused: " in (
        listed.output
    )
    assert "alice" not in listed.output.lower()
    assert "Martin" not in listed.output

    cancelled = _lawful(sqlite_shop, "dsr", "cancel", job_id, "--operator", "dpo", with_map=False)
    assert cancelled.exit_code == 0, cancelled.output
    assert f"cancelled erasure (GDPR Art. 17) job {job_id} (was failed)" in cancelled.output
    assert "no unfinished job" in _lawful(sqlite_shop, "dsr", "jobs", with_map=False).output
    again = _lawful(sqlite_shop, "dsr", "cancel", job_id, with_map=False)
    assert again.exit_code == 1
    assert again.output.strip() == (
        f"error job {job_id} is cancelled: only an unfinished job can be cancelled — "
        "list unfinished jobs with `lawful dsr jobs`"
    )
    assert "intact: 1 entries" in _lawful(sqlite_shop, "audit", "verify", with_map=False).output


def test_cancel_names_an_unknown_job_in_one_line(sqlite_shop: Shop) -> None:
    result = _lawful(sqlite_shop, "dsr", "cancel", "nope", with_map=False)
    assert result.exit_code == 1
    assert (
        result.output.strip() == "error no job 'nope' — list unfinished jobs with `lawful dsr jobs`"
    )
