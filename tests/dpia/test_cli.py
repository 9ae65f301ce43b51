"""`lawful dpia`, `lawful processors` and `lawful training` on the example company's map, with a
real store: what they print, and one clear line (no traceback) for a mistake."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lawful.cli import app

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture(autouse=True)
def platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "platform"))
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", base64.b64encode(bytes(range(32))).decode())
    monkeypatch.setenv("COLUMNS", "200")


def lawful(*args: str, map_path: bool = True) -> Result:
    return CliRunner().invoke(app, [*args, *(["-m", str(EXAMPLE)] if map_path else [])])


def test_the_dpia_commands_screen_open_and_approve(tmp_path: Path) -> None:
    screened = lawful("dpia", "screen")
    assert screened.exit_code == 0, screened.output
    line = next(x for x in screened.output.splitlines() if "background_screening" in x)
    assert "evaluation, sensitive_data, vulnerable_subjects" in line
    assert "DPIA-2026-0001" in line
    listed = lawful("dpia", "list")
    assert "not in the register" in listed.output
    opened = lawful(
        "dpia", "add", "--purpose", "background_screening", "--reference", "DPIA-2026-0001"
    )
    assert opened.exit_code == 0, opened.output
    assert "opened DPIA-2026-0001 for background_screening" in opened.output
    refused = lawful("dpia", "update", "DPIA-2026-0001", "--state", "approved", map_path=False)
    assert refused.exit_code == 1
    assert refused.output.startswith("error Write the summary of risks and measures")
    assert "Traceback" not in refused.output
    approved = lawful("dpia", "update", "DPIA-2026-0001", "--state", "approved", "--summary",
                      "Two recruiters see extracts.", "--review-on", "2031-01-31", map_path=False)  # fmt: skip
    assert approved.exit_code == 0, approved.output
    assert "DPIA-2026-0001 is approved" in approved.output
    bad = lawful("dpia", "add", "--purpose", "payroll", "--review-on", "soon")
    assert bad.exit_code == 1
    assert "--review-on 'soon' is not a date like 2027-06-30" in bad.output


def test_the_processor_commands_record_an_agreement_announce_a_change_and_its_notice() -> None:
    recorded = lawful("processors", "agreement", "hosting_gr", "--signed-on", "2025-04-01")
    assert recorded.exit_code == 0, recorded.output
    changed = lawful("processors", "change", "hosting_gr", "--kind", "replaced", "--description",
                     "Move to Patras.", "--effective-on", "2099-01-01")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert "notice 1 to lumiere" in changed.output
    assert "we intend to replace a sub-processor: Aegean Datacentres S.A. (GR)" in changed.output
    listed = lawful("processors", "list")
    assert "1 notice(s) to clients not yet recorded as sent" in listed.output
    assert lawful("processors", "sent", "1", map_path=False).exit_code == 0
    twice = lawful("processors", "sent", "1", map_path=False)
    assert twice.exit_code == 1
    assert "already recorded as sent on" in twice.output
    unknown = lawful("processors", "agreement", "urssaf", "--signed-on", "2025-04-01")
    assert unknown.exit_code == 1
    assert "`urssaf` is not a processor of the map" in unknown.output


def test_training_is_recorded_for_a_staff_member_and_listed() -> None:
    created = CliRunner().invoke(app, ["user", "create", "--email", "ana@staff.example", "--name", "Ana",
                                       "--role", "analyst", "--password-stdin"],
                                 input="a long enough password 123\n")  # fmt: skip
    assert created.exit_code == 0, created.output
    recorded = lawful("training", "record", "--email", "ana@staff.example", "--course", "GDPR basics",
                      "--completed-on", "2026-01-10", "--expires-on", "2027-01-09", map_path=False)  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    assert "Ana: GDPR basics until 2027-01-09" in recorded.output
    listed = lawful("training", "list", map_path=False)
    assert "GDPR basics" in listed.output
    nobody = lawful("training", "record", "--email", "x@staff.example", "--course", "c",
                    "--completed-on", "2026-01-10", "--expires-on", "2027-01-09", map_path=False)  # fmt: skip
    assert nobody.exit_code == 1
    assert "No staff member has that email address" in nobody.output
