"""The GDPR Art. 30 records: every item present and right, in four valid formats."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lawful.cli import app
from lawful.datamap import facts
from lawful.datamap.loader import LoadedMap, load_datamap
from lawful.law.transfers import in_eea
from lawful.reports.ropa import (
    ControllerActivity,
    ProcessorActivity,
    build_records,
    cells,
    headers,
    write_ropa,
)

SMALL_MAP = Path(__file__).parent / "fixtures" / "small.yaml"
EditMap = Callable[[Callable[[dict[str, Any]], None]], LoadedMap]

CONTROLLER_ITEMS = [f"Art. 30(1)({item})" for item in "abcdefg"]
PROCESSOR_ITEMS = [f"Art. 30(2)({item})" for item in "abcd"]

# Declared in tests/reports/fixtures/small.yaml (GDPR Art. 30(1)(g)).
SMALL_MEASURES = (
    "Disk encryption — Every server disk and backup is encrypted (AES-256).",
    "Need-to-know access — Recruiters see applicants only; agents see the bank's cases only.",
)


def _controller(loaded: LoadedMap, purpose_id: str) -> ControllerActivity:
    controller, _ = build_records(loaded.datamap)
    found = {a.id: a for a in controller.activities}
    activity = found[purpose_id]
    assert isinstance(activity, ControllerActivity)
    return activity


def _processor(loaded: LoadedMap, client_id: str) -> ProcessorActivity:
    _, processor = build_records(loaded.datamap)
    found = {a.id: a for a in processor.activities}
    activity = found[client_id]
    assert isinstance(activity, ProcessorActivity)
    return activity


# --- content -----------------------------------------------------------------------------------


def test_the_controller_record_has_one_activity_per_purpose_we_control(
    small_map: LoadedMap,
) -> None:
    controller, _ = build_records(small_map.datamap)
    ids = [a.id for a in controller.activities]
    assert ids == ["recruitment", "accommodation", "prospecting", "site_analytics"]


def test_every_column_header_names_its_art_30_item(small_map: LoadedMap) -> None:
    controller, processor = build_records(small_map.datamap)
    for record, items in ((controller, CONTROLLER_ITEMS), (processor, PROCESSOR_ITEMS)):
        named = [re.search(r"\((Art\. 30\(\d\)\([a-g]\))\)$", t) for t in headers(record)]
        assert all(named)
        assert {match.group(1) for match in named if match} == set(items)


def test_item_a_names_the_controller_its_representative_and_dpo(small_map: LoadedMap) -> None:
    activity = _controller(small_map, "recruitment")
    assert activity.controller[0] == "Quillfeather Relations SAS"
    assert "4 quai Test, 69002 Lyon, FR" in activity.controller
    assert "hello@quillfeather.example" in activity.controller
    assert activity.dpo == ("Odile Marchetti", "dpo@quillfeather.example")
    assert activity.representative == ("Westbridge Privacy Rep Ltd", "rep@westbridge.example")
    assert activity.joint_controllers == ("none",)


def test_item_a_lists_a_joint_controller_of_the_purpose(edit_map: EditMap) -> None:
    def add_joint(raw: dict[str, Any]) -> None:
        raw["recipients"]["cohire"] = {
            "name": "CoHire GmbH",
            "role": "joint_controller",
            "country": "DE",
            "purposes": ["recruitment"],
        }

    activity = _controller(edit_map(add_joint), "recruitment")
    assert activity.joint_controllers == ("CoHire GmbH (DE)",)


def test_item_b_gives_the_purpose_its_legal_basis_and_the_interest_pursued(
    small_map: LoadedMap,
) -> None:
    activity = _controller(small_map, "recruitment")
    assert activity.purposes == (
        "Hiring agents",
        "Assess applications and run interviews for agent jobs.",
        "Legal basis: Legitimate interests (GDPR Art. 6(1)(f))",
        "Legitimate interest: Finding and hiring suitable staff for our contact centres.",
    )
    special = _controller(small_map, "accommodation").purposes
    assert "Art. 9(2) condition: Employment and social security law (GDPR Art. 9(2)(b))" in special


def test_item_c_lists_subjects_and_categories_with_special_ones_marked(
    small_map: LoadedMap,
) -> None:
    activity = _controller(small_map, "recruitment")
    assert activity.data_subjects == ("Job applicants",)
    assert "CV and cover letter" in activity.personal_data
    health = _controller(small_map, "accommodation").personal_data
    assert health == ("Health data (special category, GDPR Art. 9)",)


def test_item_d_marks_recipients_in_third_countries(small_map: LoadedMap) -> None:
    activity = _controller(small_map, "prospecting")
    assert activity.recipients == (
        "MailWave LLC — processor (US, third country)",
        "SalesDesk Inc. — processor (US, third country)",
    )
    assert _controller(small_map, "recruitment").recipients == ("HireHub SAS — processor (FR)",)


def test_item_e_shows_each_transfer_with_its_mechanism(small_map: LoadedMap) -> None:
    activity = _controller(small_map, "prospecting")
    by_name = {t.to: t for t in activity.transfers}
    assert set(by_name) == {"MailWave LLC", "SalesDesk Inc."}
    assert by_name["MailWave LLC"].mechanism == "scc"
    assert by_name["MailWave LLC"].note == "2021 clauses, module 2"
    assert by_name["SalesDesk Inc."].mechanism == "dpf"
    assert all(t.valid for t in activity.transfers)
    assert _controller(small_map, "recruitment").transfers == ()


def test_item_e_flags_an_invalid_mechanism(edit_map: EditMap) -> None:
    def privacy_shield(raw: dict[str, Any]) -> None:
        raw["recipients"]["mailwave"]["transfer"] = {"mechanism": "privacy_shield"}

    activity = _controller(edit_map(privacy_shield), "prospecting")
    mailwave = next(t for t in activity.transfers if t.to == "MailWave LLC")
    assert not mailwave.valid
    transfers_cell = next(c for c in cells(activity) if "Art. 30(1)(e)" in c.header)
    assert transfers_cell.flagged
    assert any("INVALID: Privacy Shield was invalidated" in line for line in transfers_cell.lines)


def test_item_f_takes_the_time_limit_from_the_matching_retention_rule(
    small_map: LoadedMap, edit_map: EditMap
) -> None:
    assert _controller(small_map, "recruitment").erasure_time_limits == (
        "Applications that did not lead to a hire: 2 years, counted from closed, then deleted "
        "(CNIL recruitment guidance)",
    )
    assert _controller(small_map, "accommodation").erasure_time_limits == ("none",)

    def five_years(raw: dict[str, Any]) -> None:
        raw["retention"]["prospects"]["period"] = "P5Y"
        raw["retention"]["prospects"]["action"] = "anonymize"

    limits = _controller(edit_map(five_years), "prospecting").erasure_time_limits
    assert limits == (
        "Business prospects: 5 years, counted from last contact, then anonymised "
        "(CNIL guidance on prospecting)",
    )


def test_item_g_says_security_measures_are_not_declared(edit_map: EditMap) -> None:
    def undeclare(raw: dict[str, Any]) -> None:
        del raw["organization"]["security_measures"]

    assert _controller(edit_map(undeclare), "recruitment").security_measures == (
        "(not declared in the data map)",
    )


def test_item_g_shows_the_measures_the_map_declares_with_their_descriptions(
    small_map: LoadedMap,
) -> None:
    assert _controller(small_map, "recruitment").security_measures == SMALL_MEASURES


def test_item_g_lists_the_declared_security_measures(edit_map: EditMap) -> None:
    def declare(raw: dict[str, Any]) -> None:
        raw["organization"]["security_measures"] = [
            "AES-256 at rest",
            {"name": "SSO with MFA", "description": "Every login asks for a second factor."},
        ]
        raw["clients"]["northwind"]["dpo"] = {"name": "Bank DPO", "email": "dpo@northwind.example"}

    edited = edit_map(declare)
    expected = ("AES-256 at rest", "SSO with MFA — Every login asks for a second factor.")
    assert _controller(edited, "recruitment").security_measures == expected
    assert _processor(edited, "northwind").security_measures == expected
    assert _processor(edited, "northwind").controller_dpo == ("Bank DPO", "dpo@northwind.example")


def test_each_client_has_a_processor_activity_with_its_processing(small_map: LoadedMap) -> None:
    _, processor = build_records(small_map.datamap)
    assert [a.id for a in processor.activities] == ["northwind"]
    activity = _processor(small_map, "northwind")
    assert activity.processor[0] == "Quillfeather Relations SAS"
    assert activity.processor_dpo == ("Odile Marchetti", "dpo@quillfeather.example")
    assert activity.controller == (
        "Northwind Bank AG",
        "Client privacy desk",
        "privacy@northwind.example",
    )
    assert activity.processing == (
        "Inbound customer-service calls in German and English.",
        "Answering calls for Northwind Bank: Take inbound calls from the bank's customers and "
        "log each case.",
    )
    assert activity.data_concerned[0] == "Data subjects: Customers of our banking client"
    assert "Call recording" in activity.data_concerned[1]
    assert [str(t) for t in activity.transfers] == [
        "VoiceCloud Inc. (US): standard contractual clauses (GDPR Art. 46(2)(c))"
    ]
    assert activity.security_measures == SMALL_MEASURES


def test_a_transfer_outside_the_clients_residency_is_flagged(edit_map: EditMap) -> None:
    def eea_only(raw: dict[str, Any]) -> None:
        raw["clients"]["northwind"]["residency"] = ["EEA"]

    (transfer,) = _processor(edit_map(eea_only), "northwind").transfers
    assert not transfer.valid
    assert transfer.problem == "outside Northwind Bank AG's data residency (EEA)"


def test_client_purposes_stay_out_of_the_controller_record(small_map: LoadedMap) -> None:
    controller, _ = build_records(small_map.datamap)
    assert "bank_support" not in [a.id for a in controller.activities]


# --- formats -----------------------------------------------------------------------------------


@pytest.fixture
def written(small_map: LoadedMap, tmp_path: Path) -> dict[str, Path]:
    return {path.name: path for path in write_ropa(small_map, out_dir=tmp_path / "ropa")}


def test_write_ropa_writes_csv_per_record_and_one_xlsx_html_and_json(
    written: dict[str, Path],
) -> None:
    assert sorted(written) == [
        "ropa-controller.csv",
        "ropa-processor.csv",
        "ropa.html",
        "ropa.json",
        "ropa.xlsx",
    ]
    assert all(path.is_file() for path in written.values())


def test_the_csv_files_parse_with_one_row_per_activity(written: dict[str, Path]) -> None:
    with written["ropa-controller.csv"].open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 4
    prospecting = rows[2]
    assert prospecting["Purposes of the processing (Art. 30(1)(b))"].startswith(
        "Email prospecting;"
    )
    transfers = prospecting["Transfers to third countries and safeguards (Art. 30(1)(e))"]
    assert "MailWave LLC (US): standard contractual clauses" in transfers
    with written["ropa-processor.csv"].open(encoding="utf-8", newline="") as stream:
        (northwind,) = list(csv.DictReader(stream))
    controller = northwind["Controller (client) name and contact details (Art. 30(2)(a))"]
    assert controller.startswith("Northwind Bank AG")


def test_the_workbook_has_two_sheets_with_styled_headers_and_sized_columns(
    written: dict[str, Path],
) -> None:
    workbook = load_workbook(written["ropa.xlsx"])
    assert workbook.sheetnames == ["Art. 30(1) controller", "Art. 30(2) processor"]
    sheet = workbook["Art. 30(1) controller"]
    assert sheet.max_row == 5  # header + 4 activities
    assert sheet["A1"].value == "Controller name and contact details (Art. 30(1)(a))"
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJK"]
    assert all(14 <= width <= 62 for width in widths)
    assert sheet["E4"].value.splitlines()[0] == "Email prospecting"
    assert workbook["Art. 30(2) processor"]["D2"].value.startswith("Northwind Bank AG")


def test_the_json_parses_and_keeps_transfers_as_data(written: dict[str, Path]) -> None:
    document = json.loads(written["ropa.json"].read_text(encoding="utf-8"))
    controller, processor = document["records"]
    assert controller["article"] == "GDPR Art. 30(1)"
    assert controller["columns"]["erasure_time_limits"] == "Time limits for erasure (Art. 30(1)(f))"
    prospecting = next(a for a in controller["activities"] if a["id"] == "prospecting")
    assert {t["mechanism"] for t in prospecting["transfers"]} == {"scc", "dpf"}
    assert processor["activities"][0]["name"] == "Northwind Bank AG"


class _Collector(HTMLParser):
    """Collects element ids, row headers and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids += [value for name, value in attrs if name == "id" and value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_page_has_a_section_per_activity_with_every_item(
    written: dict[str, Path], assert_well_formed: Callable[[str], None]
) -> None:
    page = written["ropa.html"].read_text(encoding="utf-8")
    assert_well_formed(page)
    parser = _Collector()
    parser.feed(page)
    for activity_id in ("recruitment", "accommodation", "prospecting", "site_analytics"):
        assert f"controller-{activity_id}" in parser.ids
    assert "processor-northwind" in parser.ids
    text = " ".join(parser.text)
    for item in CONTROLLER_ITEMS + PROCESSOR_ITEMS:
        assert f"({item})" in text
    assert "@media print" in page
    # our own details are stated once per record, not repeated in every activity
    assert page.count("Controller name and contact details (Art. 30(1)(a))") == 1
    assert page.count("Time limits for erasure (Art. 30(1)(f))") == 4


def test_the_html_escapes_values_from_the_map(edit_map: EditMap, tmp_path: Path) -> None:
    def hostile(raw: dict[str, Any]) -> None:
        raw["purposes"]["recruitment"]["name"] = "<script>alert(1)</script>"

    paths = write_ropa(edit_map(hostile), out_dir=tmp_path / "out")
    page = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_map_without_clients_writes_an_empty_processor_record(
    edit_map: EditMap, tmp_path: Path
) -> None:
    def no_clients(raw: dict[str, Any]) -> None:
        raw["clients"] = {}
        del raw["purposes"]["bank_support"]
        del raw["datasets"]["bank_calls"]
        del raw["retention"]["bank_calls"]

    paths = write_ropa(edit_map(no_clients), out_dir=tmp_path / "out")
    processor_csv = next(p for p in paths if p.name == "ropa-processor.csv")
    assert processor_csv.read_text(encoding="utf-8").count("\n") == 1  # the header only
    page = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "No activities in this record." in page


def test_the_ropa_command_writes_the_records(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ropa", "-m", str(SMALL_MAP), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ropa.xlsx").is_file()


# --- the example company -----------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contact-center" / "lawful.yaml"


@pytest.fixture
def example() -> LoadedMap:
    assert EXAMPLE.is_file(), f"the example map is missing: {EXAMPLE}"
    return load_datamap(EXAMPLE)


def test_the_example_has_one_controller_activity_per_purpose_and_one_per_client(
    example: LoadedMap,
) -> None:
    datamap = example.datamap
    controller, processor = build_records(datamap)
    ours = [pid for pid, p in datamap.purposes.items() if p.controller == "us"]
    assert [a.id for a in controller.activities] == ours
    assert [a.id for a in processor.activities] == list(datamap.clients)
    for pid, purpose in datamap.purposes.items():
        if purpose.controller == "us":
            continue
        activity = _processor(example, purpose.controller.removeprefix("client:"))
        assert any(line.startswith(purpose.name) for line in activity.processing), pid


def test_the_example_shows_each_third_country_recipient_with_its_mechanism(
    example: LoadedMap,
) -> None:
    datamap = example.datamap
    checked = 0
    for pid, purpose in datamap.purposes.items():
        if purpose.controller != "us":
            continue
        named = set(purpose.recipients) | {
            rid for rid, r in datamap.recipients.items() if pid in r.purposes
        }
        transfers = {t.to: t for t in _controller(example, pid).transfers}
        for rid in named:
            recipient = datamap.recipients[rid]
            if in_eea(recipient.country):
                continue
            expected = recipient.transfer.mechanism.value if recipient.transfer else "adequacy"
            assert transfers[recipient.name].mechanism == expected, (pid, rid)
            assert transfers[recipient.name].valid, (pid, rid)
            checked += 1
    assert checked > 0, "the example should transfer something outside the EEA"


def test_every_example_purpose_with_data_has_a_time_limit(example: LoadedMap) -> None:
    datamap = example.datamap
    controller, _ = build_records(datamap)
    for activity in controller.activities:
        assert isinstance(activity, ControllerActivity)
        rules = facts.purpose_retention(datamap, activity.id).values()
        if facts.purpose_datasets(datamap, activity.id):
            assert activity.erasure_time_limits != ("none",), activity.id
        for rule in rules:
            assert any(
                facts.human_duration(rule.period) in line for line in activity.erasure_time_limits
            )


def test_the_example_records_are_written_in_every_format(
    tmp_path: Path, assert_well_formed: Callable[[str], None]
) -> None:
    result = CliRunner().invoke(app, ["ropa", "-m", str(EXAMPLE), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_well_formed((tmp_path / "ropa.html").read_text(encoding="utf-8"))
    with (tmp_path / "ropa-controller.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    document = json.loads((tmp_path / "ropa.json").read_text(encoding="utf-8"))
    assert len(rows) - 1 == len(document["records"][0]["activities"]) > 0
    workbook = load_workbook(tmp_path / "ropa.xlsx")
    assert len(workbook.sheetnames) == 2
    assert workbook.worksheets[0].max_row == len(rows)
