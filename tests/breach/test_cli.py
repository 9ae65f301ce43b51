"""`lawful breach open|update|show|draft` on the example company."""

from __future__ import annotations

import base64
import csv
import stat
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


def test_a_breach_is_opened_counted_updated_shown_and_drafted(
    sqlite_company: Company, tmp_path: Path
) -> None:
    opened = lawful(
        sqlite_company, "breach", "open", "--title", "Marketing list exposed", "--aware-at", "now",
        "--system", "marketing", "--kind", "confidentiality",
        "--nature", "A misconfigured export made the prospect list public for two hours.",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert "opened BR-" in opened.output
    reference = opened.output.split("opened ")[1].split()[0]
    prospects = len(sqlite_company.table("prospects"))
    assert f"people affected: {prospects:,}" in opened.output
    assert "left to notify the authority" in opened.output

    updated = lawful(
        sqlite_company, "breach", "update", reference, "--risk", "high",
        "--consequences", "Unwanted calls and phishing.", "--measures-taken", "Export removed.",
        "--note", "phase 2",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    assert "tell them without undue delay (GDPR Art. 34(1))" in updated.output

    listed = lawful(sqlite_company, "breach", "show")
    assert reference in listed.output
    assert "Marketing list exposed" in listed.output

    draft = tmp_path / "authority.html"
    written = lawful(sqlite_company, "breach", "draft", reference, "--to", "authority",
                     "--format", "html", "--output", str(draft))  # fmt: skip
    assert written.exit_code == 0, written.output
    assert "Unwanted calls and phishing." in draft.read_text()

    recipients = tmp_path / "people.csv"
    message = lawful(sqlite_company, "breach", "draft", reference, "--to", "people",
                     "--recipients", str(recipients))  # fmt: skip
    assert message.exit_code == 0, message.output
    assert "What happened" in message.output
    with recipients.open() as source:
        rows = list(csv.DictReader(source))
    assert len({r["person"] for r in rows}) == prospects
    assert stat.S_IMODE(recipients.stat().st_mode) == 0o600


def test_mistakes_are_explained_not_traced(sqlite_company: Company) -> None:
    bad_time = lawful(sqlite_company, "breach", "open", "--title", "x", "--aware-at", "yesterday")
    assert bad_time.exit_code == 1
    assert "is not a time like 2026-11-20T09:30" in bad_time.output
    unknown = lawful(sqlite_company, "breach", "show", "BR-2020-0001")
    assert unknown.exit_code == 1
    assert "No incident 'BR-2020-0001'" in unknown.output
    audience = lawful(sqlite_company, "breach", "draft", "BR-2020-0001", "--to", "press")
    assert audience.exit_code == 1
    assert "--to is one of authority, people, public, client" in audience.output


def test_show_and_draft_read_moments_in_the_installations_zone(
    sqlite_company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAWFUL_TIME_ZONE", "Europe/Athens")  # UTC+3 in July (EEST)
    opened = lawful(
        sqlite_company, "breach", "open", "--title", "Laptop stolen", "--aware-at",
        "2026-07-01T09:30Z", "--system", "marketing", "--kind", "confidentiality",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    reference = opened.output.split("opened ")[1].split()[0]
    shown = lawful(sqlite_company, "breach", "show", reference)
    assert shown.exit_code == 0, shown.output
    assert "deadline 4 Jul 2026, 12:30 EEST" in shown.output
    assert "UTC" not in shown.output
    listed = lawful(sqlite_company, "breach", "show")
    assert "1 Jul 2026, 12:30 EEST" in listed.output
    draft = lawful(sqlite_company, "breach", "draft", reference, "--to", "authority")
    assert draft.exit_code == 0, draft.output
    assert "We became aware of the breach on 1 Jul 2026, 12:30 EEST." in draft.output

    monkeypatch.setenv("LAWFUL_TIME_ZONE", "Europe/Atlantis")
    wrong = lawful(sqlite_company, "breach", "show", reference)
    assert wrong.exit_code == 1
    assert "is not an IANA time zone name" in wrong.output
    assert "Traceback" not in wrong.output
