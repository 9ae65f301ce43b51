"""`lawful complaints receive|list|note|decide` and `lawful directives record|verify|list`: one line per error, no traceback."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lawful.cli import app

Company = Any  # tests/conftest.py: ExampleCompany
EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture(autouse=True)
def platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "platform"))
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", base64.b64encode(bytes(range(32))).decode())
    monkeypatch.setenv("COLUMNS", "200")


def lawful(company: Company, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "-m", str(EXAMPLE), "--data", str(company.base_dir)])


def test_an_inquiry_is_received_listed_noted_and_closed(sqlite_company: Company) -> None:
    received = lawful(sqlite_company, "complaints", "receive", "--subject", "Cookie consent",
                      "--authority", "cnil", "--received-on", "2026-01-05")  # fmt: skip
    assert received.exit_code == 0, received.output
    assert "received CP-" in received.output
    assert "04 Feb 2026" in received.output
    reference = received.output.split("received ")[1].split(":")[0]
    listed = lawful(sqlite_company, "complaints", "list")
    assert reference in listed.output
    assert "overdue" in listed.output
    noted = lawful(sqlite_company, "complaints", "note", reference, "--text", "Answered by post")
    assert noted.exit_code == 0, noted.output
    refused = lawful(sqlite_company, "complaints", "decide", reference, "--status", "closed")
    assert refused.exit_code == 1
    assert "(outcome) Write the outcome before closing" in refused.output
    assert "Traceback" not in refused.output
    closed = lawful(sqlite_company, "complaints", "decide", reference, "--status", "closed",
                    "--outcome", "CNIL closed its file")  # fmt: skip
    assert f"{reference} is closed" in closed.output
    assert "overdue" not in lawful(sqlite_company, "complaints", "list").output


def test_bad_input_says_what_to_fix(sqlite_company: Company) -> None:
    bad_day = lawful(sqlite_company, "complaints", "receive", "--subject", "x",
                     "--authority", "CNIL", "--deadline", "soon")  # fmt: skip
    assert bad_day.exit_code == 1
    assert "is not a day like" in bad_day.output
    unknown = lawful(sqlite_company, "complaints", "receive", "--subject", "x",
                     "--authority", "NOPE")  # fmt: skip
    assert unknown.exit_code == 1
    assert "Unknown authority 'NOPE'; known: CNIL" in unknown.output


def test_a_directive_is_recorded_verified_and_listed(sqlite_company: Company) -> None:
    abroad = lawful(sqlite_company, "directives", "record", "--person-name", "Eva", "--person-email",
                    "eva@people.example", "--designee-name", "Jan", "--designee-email",
                    "jan@people.example", "--instruction", "erasure", "--country", "GR")  # fmt: skip
    assert abroad.exit_code == 1
    assert "(country) Post-mortem directives are a right of French law" in abroad.output
    recorded = lawful(sqlite_company, "directives", "record", "--person-name", "Eva",
                      "--person-email", "eva@people.example", "--designee-name", "Jan",
                      "--designee-email", "jan@people.example", "--instruction", "erasure")  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    reference = recorded.output.split("recorded ")[1].split(":")[0]
    verified = lawful(sqlite_company, "directives", "verify", reference, "--how", "ID seen")
    assert f"{reference} is verified" in verified.output
    listed = lawful(sqlite_company, "directives", "list")
    assert reference in listed.output
    assert "verified" in listed.output
    assert "Eva" not in listed.output
