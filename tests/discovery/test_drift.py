"""`lawful check --live` reports undeclared columns that look personal (D013)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from lawful.cli import app

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
runner = CliRunner()


def test_check_live_names_an_undeclared_personal_column_with_its_category_and_yaml(
    small_company: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(small_company, data)
    with sqlite3.connect(data / "crm.sqlite") as conn:
        # Two columns added behind the map's back: one holds emails under a vague name,
        # the other holds nothing about anyone.
        conn.execute("ALTER TABLE contacts ADD COLUMN extra2 TEXT")
        conn.execute("ALTER TABLE contacts ADD COLUMN email_template TEXT")
        conn.execute(
            "UPDATE contacts SET extra2 = 'backup' || contact_id || '@mail.example.org', "
            "email_template = 'Thanks for your order, we will ship it soon.'"
        )
    result = runner.invoke(app, ["check", "-m", str(EXAMPLE_MAP), "--live", "--data", str(data)])
    assert result.exit_code == 1
    drift = [line for line in result.output.splitlines() if " D013 " in line]
    assert len(drift) == 1, result.output
    assert (
        "`contacts.extra2` is not declared in `contacts` and looks personal: contact.email"
        in drift[0]
    )
    assert "`extra2: {category: contact.email, erase: nullify}`" in drift[0]
    assert "customers.yaml:" in drift[0]  # the line of the dataset's `fields:` in its file
    assert "backup1@mail.example.org" not in result.output
    # D004 still says both columns are undeclared.
    assert sum(" D004 " in line and "contacts." in line for line in result.output.splitlines()) >= 2
