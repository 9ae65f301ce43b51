"""Records of processing activities (GDPR Art. 30), generated from the data map.

Two records: Art. 30(1) lists what we do as controller, one activity per purpose of ours;
Art. 30(2) lists what we do as processor, one activity per client. The rows are built once
(`build_records`) and each output format (CSV, XLSX, HTML, JSON) only renders them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lawful.datamap import facts
from lawful.datamap.facts import NOT_DECLARED, TransferFact
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import (
    Client,
    DataMap,
    Dataset,
    Organization,
    Purpose,
    RecipientRole,
)
from lawful.law.transfers import in_eea, residency_allows
from lawful.reports.render import render, write_text

Lines = tuple[str, ...]
Transfers = tuple[TransferFact, ...]

# Spreadsheet column widths, in characters: wide enough to read, narrow enough to print.
_XLSX_MIN_WIDTH = 12
_XLSX_MAX_WIDTH = 60


def _header(label: str, item: str, *, ours: bool = False) -> dict[str, object]:
    """Field metadata: the field is a column whose header names its Art. 30 item. `ours`
    marks our own details (same in every activity), which the HTML page states once."""
    return {"header": f"{label} ({item})", "ours": ours}


@dataclass(frozen=True)
class ControllerActivity:
    """One purpose we decide on: a row of the Art. 30(1) record."""

    id: str
    name: str
    controller: Lines = field(
        metadata=_header("Controller name and contact details", "Art. 30(1)(a)", ours=True)
    )
    joint_controllers: Lines = field(metadata=_header("Joint controllers", "Art. 30(1)(a)"))
    representative: Lines = field(
        metadata=_header("Controller's representative", "Art. 30(1)(a)", ours=True)
    )
    dpo: Lines = field(metadata=_header("Data protection officer", "Art. 30(1)(a)", ours=True))
    purposes: Lines = field(metadata=_header("Purposes of the processing", "Art. 30(1)(b)"))
    data_subjects: Lines = field(metadata=_header("Categories of data subjects", "Art. 30(1)(c)"))
    personal_data: Lines = field(metadata=_header("Categories of personal data", "Art. 30(1)(c)"))
    recipients: Lines = field(
        metadata=_header("Categories of recipients, including in third countries", "Art. 30(1)(d)")
    )
    transfers: Transfers = field(
        metadata=_header("Transfers to third countries and safeguards", "Art. 30(1)(e)")
    )
    erasure_time_limits: Lines = field(metadata=_header("Time limits for erasure", "Art. 30(1)(f)"))
    security_measures: Lines = field(
        metadata=_header("Technical and organisational measures", "Art. 30(1)(g)", ours=True)
    )


@dataclass(frozen=True)
class ProcessorActivity:
    """What we do for one client, as its processor: a row of the Art. 30(2) record."""

    id: str
    name: str
    processor: Lines = field(
        metadata=_header("Processor name and contact details", "Art. 30(2)(a)", ours=True)
    )
    processor_representative: Lines = field(
        metadata=_header("Processor's representative", "Art. 30(2)(a)", ours=True)
    )
    processor_dpo: Lines = field(
        metadata=_header("Processor's data protection officer", "Art. 30(2)(a)", ours=True)
    )
    controller: Lines = field(
        metadata=_header("Controller (client) name and contact details", "Art. 30(2)(a)")
    )
    controller_representative: Lines = field(
        metadata=_header("Controller's representative", "Art. 30(2)(a)")
    )
    controller_dpo: Lines = field(
        metadata=_header("Controller's data protection officer", "Art. 30(2)(a)")
    )
    processing: Lines = field(
        metadata=_header("Categories of processing carried out for the controller", "Art. 30(2)(b)")
    )
    data_concerned: Lines = field(
        metadata=_header("Data subjects and personal data concerned", "Art. 30(2)(b)")
    )
    transfers: Transfers = field(
        metadata=_header("Transfers to third countries and safeguards", "Art. 30(2)(c)")
    )
    security_measures: Lines = field(
        metadata=_header("Technical and organisational measures", "Art. 30(2)(d)", ours=True)
    )


Activity = ControllerActivity | ProcessorActivity


@dataclass(frozen=True)
class Record:
    """One Art. 30 record: its article, its title and its activities."""

    key: str
    article: str
    title: str
    activities: tuple[Activity, ...]
    kind: type[ControllerActivity] | type[ProcessorActivity]


@dataclass(frozen=True)
class Cell:
    header: str
    lines: Lines
    flagged: bool  # holds an invalid transfer: shown as a warning
    ours: bool  # our own details, the same in every activity of the record


def write_ropa(loaded: LoadedMap, *, out_dir: Path) -> list[Path]:
    """Write both Art. 30 records as CSV (one file each), XLSX, HTML and JSON; return the paths."""
    records = build_records(loaded.datamap)
    organization = loaded.datamap.organization.name
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        *(write_csv(record, out_dir / f"ropa-{record.key}.csv") for record in records),
        write_xlsx(records, out_dir / "ropa.xlsx"),
        write_html(records, out_dir / "ropa.html", organization=organization),
        write_json(records, out_dir / "ropa.json", organization=organization),
    ]


def build_records(datamap: DataMap) -> tuple[Record, Record]:
    """The Art. 30(1) and Art. 30(2) records of the map, ready to render."""
    controller = Record(
        key="controller",
        article="Art. 30(1)",
        title="Record of processing activities — as controller",
        activities=tuple(
            controller_activity(datamap, pid) for pid in facts.controlled_by_us(datamap)
        ),
        kind=ControllerActivity,
    )
    processor = Record(
        key="processor",
        article="Art. 30(2)",
        title="Record of processing activities — as processor for our clients",
        activities=tuple(processor_activity(datamap, cid) for cid in datamap.clients),
        kind=ProcessorActivity,
    )
    return controller, processor


# --- Art. 30(1) --------------------------------------------------------------------------------


def controller_activity(datamap: DataMap, purpose_id: str) -> ControllerActivity:
    org = datamap.organization
    purpose = datamap.purposes[purpose_id]
    recipients = facts.purpose_recipients(datamap, purpose_id)
    rules = facts.purpose_retention(datamap, purpose_id).values()
    return ControllerActivity(
        id=purpose_id,
        name=purpose.name,
        controller=_organization_lines(org),
        joint_controllers=_or_none(_joint_controllers(datamap, recipients)),
        representative=_or_none(facts.contact_lines(org.representative)),
        dpo=_or_none(facts.contact_lines(org.dpo)),
        purposes=_purpose_lines(purpose),
        data_subjects=_or_none(
            [facts.subject_name(datamap, s) for s in facts.purpose_subjects(datamap, purpose_id)]
        ),
        personal_data=_or_none(
            [
                facts.category_label(datamap, c)
                for c in facts.purpose_categories(datamap, purpose_id)
            ]
        ),
        recipients=_recipient_lines(datamap, recipients),
        transfers=tuple(facts.purpose_transfers(datamap, purpose_id)),
        erasure_time_limits=_or_none([facts.retention_limit(datamap, rule) for rule in rules]),
        security_measures=tuple(m.line() for m in org.security_measures) or (NOT_DECLARED,),
    )


def _organization_lines(org: Organization) -> Lines:
    lines = [org.name]
    if org.trading_name:
        lines.append(f"trading as {org.trading_name}")
    if org.registration:
        lines.append(f"registration {org.registration}")
    lines += [org.address.one_line(), *facts.contact_lines(org.contact)]
    lines += [f"establishment: {e.name} ({e.country})" for e in org.establishments]
    return tuple(facts.unique(lines))


def _joint_controllers(datamap: DataMap, recipients: list[str]) -> list[str]:
    return [
        f"{r.name} ({r.country})"
        for r in (datamap.recipients[rid] for rid in recipients)
        if r.role is RecipientRole.joint_controller
    ]


def _purpose_lines(purpose: Purpose) -> Lines:
    # GDPR Art. 30(1)(b) asks for the purpose; its legal ground (Art. 6, 9, 10) is kept
    # beside it so the record also documents accountability (Art. 5(2)).
    lines = [purpose.name]
    if purpose.description:
        lines.append(purpose.description)
    lines.append(f"Legal basis: {facts.legal_basis_name(purpose.legal_basis)}")
    if facts.is_legitimate_interest(purpose):
        lines.append(f"Legitimate interest: {purpose.legitimate_interest or NOT_DECLARED}")
    if purpose.special_condition:
        condition = facts.special_condition_name(purpose.special_condition)
        lines.append(f"Art. 9(2) condition: {condition}")
    if purpose.criminal_condition:
        authorisation = facts.criminal_condition_name(purpose.criminal_condition)
        lines.append(f"Art. 10 authorisation: {authorisation}")
    if purpose.direct_marketing:
        lines.append("Direct marketing (objection is absolute, Art. 21(3))")
    if purpose.automated_decisions:
        lines.append(f"Automated decision-making (Art. 22): {purpose.automated_decisions}")
    return tuple(lines)


def _recipient_lines(datamap: DataMap, recipients: list[str]) -> Lines:
    lines = []
    for rid in recipients:
        recipient = datamap.recipients[rid]
        where = (
            recipient.country
            if in_eea(recipient.country)
            else f"{recipient.country}, third country"
        )
        lines.append(f"{recipient.name} — {facts.role_name(recipient.role)} ({where})")
    return _or_none(lines)


def _or_none(lines: list[str] | Lines) -> Lines:
    """A cell is never blank: an empty one says the map declares nothing."""
    return tuple(lines) if lines else ("none",)


# --- Art. 30(2) --------------------------------------------------------------------------------


def processor_activity(datamap: DataMap, client_id: str) -> ProcessorActivity:
    org = datamap.organization
    client = datamap.clients[client_id]
    purposes = _client_purposes(datamap, client_id)
    datasets = _client_datasets(datamap, client_id)
    recipients = facts.unique(r for pid in purposes for r in facts.purpose_recipients(datamap, pid))
    transfers = facts.transfers_for(datamap, recipients=recipients, datasets=datasets.values())
    return ProcessorActivity(
        id=client_id,
        name=client.name,
        processor=_organization_lines(org),
        processor_representative=_or_none(facts.contact_lines(org.representative)),
        processor_dpo=_or_none(facts.contact_lines(org.dpo)),
        controller=_client_lines(client),
        controller_representative=_or_none(facts.contact_lines(client.representative)),
        controller_dpo=_or_none(facts.contact_lines(client.dpo)),
        processing=_processing_lines(client, purposes),
        data_concerned=_data_concerned(datamap, purposes, datasets),
        transfers=tuple(_within_residency(client, t) for t in transfers),
        security_measures=tuple(m.line() for m in org.security_measures) or (NOT_DECLARED,),
    )


def _client_purposes(datamap: DataMap, client_id: str) -> dict[str, Purpose]:
    return {pid: p for pid, p in datamap.purposes.items() if p.controller == f"client:{client_id}"}


def _client_datasets(datamap: DataMap, client_id: str) -> dict[str, Dataset]:
    return {did: d for did, d in datamap.datasets.items() if d.client_id() == client_id}


def _client_lines(client: Client) -> Lines:
    return tuple(facts.unique([client.name, *facts.contact_lines(client.contact)]))


def _processing_lines(client: Client, purposes: dict[str, Purpose]) -> Lines:
    lines = [client.services] if client.services else []
    for purpose in purposes.values():
        described = (
            f"{purpose.name}: {purpose.description}" if purpose.description else purpose.name
        )
        lines.append(described)
    return _or_none(lines)


def _data_concerned(
    datamap: DataMap, purposes: dict[str, Purpose], datasets: dict[str, Dataset]
) -> Lines:
    subjects = facts.unique(
        [s for pid in purposes for s in facts.purpose_subjects(datamap, pid)]
        + [d.subject for d in datasets.values()]
    )
    categories = facts.unique(
        [c for pid in purposes for c in facts.purpose_categories(datamap, pid)]
        + [f.category for d in datasets.values() for f in d.fields.values()]
    )
    people = ", ".join(facts.subject_name(datamap, s) for s in subjects) or "none"
    data = ", ".join(facts.category_label(datamap, c) for c in categories) or "none"
    return (f"Data subjects: {people}", f"Personal data: {data}")


def _within_residency(client: Client, transfer: TransferFact) -> TransferFact:
    """A transfer the client's contract does not allow is flagged in its record."""
    if residency_allows(client.residency, transfer.country):
        return transfer
    problem = f"outside {client.name}'s data residency ({', '.join(client.residency)})"
    if transfer.problem:
        problem = f"{transfer.problem}; {problem}"
    return replace(transfer, valid=False, problem=problem)


# --- table view shared by the renderers --------------------------------------------------------


def _columns(record: Record) -> dict[str, str]:
    """Field name → column header, in order."""
    return {f.name: f.metadata["header"] for f in fields(record.kind) if "header" in f.metadata}


def headers(record: Record) -> list[str]:
    return list(_columns(record).values())


def cells(activity: Activity) -> list[Cell]:
    """The activity's columns in order, each as lines of text."""
    found = []
    for column in fields(activity):
        if "header" not in column.metadata:
            continue
        value: tuple[str | TransferFact, ...] = getattr(activity, column.name)
        flagged = any(isinstance(v, TransferFact) and not v.valid for v in value)
        lines = tuple(str(v) for v in value) or ("none",)
        found.append(
            Cell(
                header=column.metadata["header"],
                lines=lines,
                flagged=flagged,
                ours=column.metadata["ours"],
            )
        )
    return found


# --- formats -----------------------------------------------------------------------------------


def write_csv(record: Record, path: Path) -> Path:
    """One row per activity; several values in a cell are separated by "; "."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers(record))
        for activity in record.activities:
            writer.writerow("; ".join(cell.lines) for cell in cells(activity))
    return path


def write_xlsx(records: tuple[Record, ...], path: Path) -> Path:
    """One workbook, one sheet per record; header styled, columns sized, rows wrapped."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for record in records:
        _xlsx_sheet(workbook.create_sheet(title=f"{record.article} {record.key}"), record)
    workbook.save(path)
    return path


def _xlsx_sheet(sheet: Any, record: Record) -> None:
    titles = headers(record)
    sheet.append(titles)
    for activity in record.activities:
        sheet.append(["\n".join(cell.lines) for cell in cells(activity)])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(sheet.iter_cols(), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _width(column: tuple[Any, ...]) -> int:
    """The longest line in the column, kept between the minimum and maximum widths."""
    longest = max(len(line) for cell in column for line in str(cell.value or "").splitlines())
    return min(_XLSX_MAX_WIDTH, max(_XLSX_MIN_WIDTH, longest)) + 2


def write_html(records: tuple[Record, ...], path: Path, *, organization: str) -> Path:
    """One self-contained page: per record, our own details once, then a table per activity."""
    views = []
    for record in records:
        rows = [(activity, cells(activity)) for activity in record.activities]
        ours = [cell for cell in rows[0][1] if cell.ours] if rows else []
        activities = [(activity, [c for c in row if not c.ours]) for activity, row in rows]
        views.append((record, ours, activities))
    text = render("ropa.html.j2", organization=organization, records=views)
    return write_text(path, text)


def write_json(records: tuple[Record, ...], path: Path, *, organization: str) -> Path:
    """The records as data: each activity with its fields, and each field's Art. 30 header."""
    document = {
        "organization": organization,
        "records": [
            {
                "article": f"GDPR {record.article}",
                "title": record.title,
                "columns": _columns(record),
                "activities": [asdict(activity) for activity in record.activities],
            }
            for record in records
        ],
    }
    return write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
