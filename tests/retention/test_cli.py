"""`lawful retention plan|run` and `lawful hold add|list|release` on the example company."""

from __future__ import annotations

import base64
import re
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
    command = [*args, "-m", str(EXAMPLE), "--data", str(company.base_dir)]
    return CliRunner().invoke(app, command)


def test_plan_shows_each_rule_with_its_ground_and_changes_nothing(sqlite_company: Company) -> None:
    before = sqlite_company.table("prospects")
    result = lawful(sqlite_company, "retention", "plan", "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert "Retention as of 2026-11-01 (nothing changed)" in result.output
    assert "last_contact_at" in result.output
    assert (
        "prospects: 3 years, counted from last contact (CNIL guidance on prospects" in result.output
    )
    assert "people with an open rights request: 0" in result.output
    assert sqlite_company.table("prospects") == before


def test_run_sweeps_then_a_second_run_finds_it_done(sqlite_company: Company) -> None:
    first = lawful(sqlite_company, "retention", "run", "--as-of", "2026-11-01", "--operator", "dpo")
    assert first.exit_code == 0, first.output
    assert "ran retention job" in first.output
    assert ": done" in first.output
    second = lawful(sqlite_company, "retention", "run", "--as-of", "2026-11-01")
    assert second.exit_code == 0, second.output
    assert "done before" in second.output


def test_a_bad_date_is_refused_with_an_example(sqlite_company: Company) -> None:
    result = lawful(sqlite_company, "retention", "plan", "--as-of", "1 Nov")
    assert result.exit_code == 1
    assert "is not a date like 2026-11-01" in result.output


def test_holds_are_placed_listed_and_released_from_the_command_line(
    sqlite_company: Company,
) -> None:
    candidate = min(sqlite_company.table("candidates").values(), key=lambda c: c["candidate_id"])
    placed = lawful(
        sqlite_company, "hold", "add", "--identity", f"email={candidate['email']}",
        "--reason", "Tribunal claim", "--owner", "Legal counsel", "--operator", "staff:3",
    )  # fmt: skip
    assert placed.exit_code == 0, placed.output
    found = re.search(r"\(person\); (\d+) record\(s\) of the person found", placed.output)
    assert found, placed.output
    assert int(found.group(1)) >= 2  # the candidate and their applications
    hold_id = placed.output.split("placed legal hold ")[1].split()[0]

    listed = lawful(sqlite_company, "hold", "list")
    assert hold_id in listed.output
    assert "Tribunal claim" in listed.output
    assert candidate["email"] not in listed.output  # masked

    released = lawful(sqlite_company, "hold", "release", hold_id, "--note", "Settled")
    assert released.exit_code == 0, released.output
    assert hold_id not in lawful(sqlite_company, "hold", "list").output
    assert "Settled" in lawful(sqlite_company, "hold", "list", "--all").output
    again = lawful(sqlite_company, "hold", "release", hold_id, "--note", "Settled")
    assert again.exit_code == 1
    assert "already released" in again.output


def test_a_hold_on_an_unknown_dataset_names_the_known_ones(sqlite_company: Company) -> None:
    result = lawful(
        sqlite_company,
        "hold",
        "add",
        "--dataset",
        "calls",
        "--reason",
        "Claim",
        "--owner",
        "Counsel",
    )
    assert result.exit_code == 1
    assert "Unknown dataset(s): calls. Known: candidates" in result.output


def test_plan_counts_the_records_each_recruitment_rule_governs(sqlite_company: Company) -> None:
    statuses = [row["status"] for row in sqlite_company.table("candidates").values()]
    hired = statuses.count("hired")
    result = lawful(sqlite_company, "retention", "plan", "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert "Which rule governs which records" in result.output
    governed = result.output.split("Which rule governs which records")[1]
    rows = {
        cells[2]: cells[3]
        for line in governed.splitlines()
        if len(cells := [c.strip() for c in line.split("│")]) > 4 and cells[1] == "candidates"
    }
    assert rows == {
        "candidates_not_hired": str(len(statuses) - hired),
        "personnel_files": str(hired),
    }
    assert hired > 0


def test_why_explains_one_record_and_refuses_what_does_not_exist(sqlite_company: Company) -> None:
    hired = min(k for k, r in sqlite_company.table("candidates").items() if r["status"] == "hired")
    result = lawful(sqlite_company, "retention", "plan", "--why", f"candidates:{hired}")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "yes" in lines["personnel_files"]
    assert "handed over by candidates_not_hired" in lines["personnel_files"]
    assert "not started" in lines["personnel_files"]  # still employed: the period has not begun
    assert "no" in lines["candidates_not_hired"].split("│")[2]
    missing = lawful(sqlite_company, "retention", "plan", "--why", "candidates:99999999")
    assert missing.exit_code == 1
    assert "no record of `candidates` has the key '99999999'" in missing.output
    unknown = lawful(sqlite_company, "retention", "plan", "--why", "candidats:1")
    assert unknown.exit_code == 1
    assert "there is no dataset `candidats`" in unknown.output
    malformed = lawful(sqlite_company, "retention", "plan", "--why", "candidates")
    assert malformed.exit_code == 1
    assert "write DATASET:KEY" in malformed.output


def test_why_for_a_person_explains_each_of_their_records(sqlite_company: Company) -> None:
    hired = min(
        (r for r in sqlite_company.table("candidates").values() if r["status"] == "hired"),
        key=lambda r: r["candidate_id"],
    )
    result = lawful(sqlite_company, "retention", "plan", "--why", f"email={hired['email']}")
    assert result.exit_code == 0, result.output
    assert f"Retention of candidates:{hired['candidate_id']}" in result.output
    assert "handed over by candidates_not_hired" in result.output
    assert hired["email"] not in result.output  # keys and dates only, never the identity
    nobody = lawful(sqlite_company, "retention", "plan", "--why", "email=nobody@nowhere-at-all.fr")
    assert nobody.exit_code == 0, nobody.output
    assert "No record of this person" in nobody.output
