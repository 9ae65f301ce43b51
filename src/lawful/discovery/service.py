"""Scans as records: what a scan of a system found, stored as categories and counts; the
console's view of a system (declared vs found, new since the previous scan, free text holding
personal data, undeclared columns with the YAML to add); a scan asked for by staff.

Services never commit: the task, page or command that calls them owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.discovery import repository
from lawful.discovery.classify import ColumnClass
from lawful.discovery.draft import erase_for, scalar
from lawful.discovery.errors import UnknownSystemError
from lawful.discovery.models import ColumnFinding, Evidence, RunOutcome, ScanRun
from lawful.discovery.scan import URL_TYPES, ScannedSystem, ScannedTable
from lawful.store.audit import record_event
from lawful.store.models import utcnow
from lawful.store.tasks import Dispatcher, defer_job

DISCOVERY_SCAN = "discovery.scan"


def scannable_systems(datamap: DataMap) -> list[str]:
    """The map's systems a scan reads: those with a SQL connection."""
    kinds = set(URL_TYPES.values())
    return [
        sid
        for sid, system in datamap.systems.items()
        if system.connection is not None and system.connection.type in kinds
    ]


def declared_tables(datamap: DataMap, *, system: str) -> dict[str, tuple[str, set[str]]]:
    """Table name → (dataset id, its declared fields), for the system's datasets."""
    return {
        dataset.table or did: (did, set(dataset.fields))
        for did, dataset in datamap.datasets.items()
        if dataset.system == system
    }


def record_scan(
    session: Session,
    *,
    datamap: DataMap,
    scanned: ScannedSystem,
    started: datetime,
    requested_by: str,
    now: datetime | None = None,
) -> ScanRun:
    """Store one system's scan: a run with its counts, and each personal column found (its
    category, confidence and evidence — never a value). Audited with counts only."""
    run = ScanRun(system=scanned.system, outcome=RunOutcome.done, requested_by=requested_by,
                  started_at=started, finished_at=now or utcnow())  # fmt: skip
    repository.add_run(session, run=run)
    known = repository.findings_of(session, system=scanned.system)
    declared = declared_tables(datamap, system=scanned.system)
    for table in scanned.tables:
        run.tables_seen += 1
        run.columns_seen += len(table.columns)
        run.rows_sampled += table.sampled_rows
        for column, found in table.columns.items():
            if found.category is None:
                continue
            finding = _finding(session, known, scanned.system, table, column, found, run)
            dataset, fields = declared.get(table.table.name, (None, set()))
            finding.dataset, finding.declared = dataset, column in fields
            run.personal_columns += 1
            run.undeclared_columns += not finding.declared
            run.new_columns += finding.first_seen_run == run.id
            run.free_text_columns += finding.free_text
    _audit(session, run)
    return run


def _finding(
    session: Session,
    known: dict[tuple[str, str], ColumnFinding],
    system: str,
    table: ScannedTable,
    column: str,
    found: ColumnClass,
    run: ScanRun,
) -> ColumnFinding:
    finding = known.get((table.table.name, column))
    if finding is None:
        finding = ColumnFinding(system=system, table_name=table.table.name, column_name=column,
                                first_seen_run=run.id)  # fmt: skip
        repository.add_finding(session, finding=finding)
    live = table.table.column(column)
    finding.category = found.category or ""
    finding.confidence = found.confidence
    finding.evidence = Evidence(found.evidence)
    finding.values_sampled, finding.values_matched = found.sampled, found.matched
    finding.erase = erase_for(live) if live is not None else "nullify"
    finding.free_text = found.free_text
    finding.last_seen_run = run.id
    return finding


def record_unreachable(
    session: Session, *, system: str, started: datetime, requested_by: str
) -> ScanRun:
    """A run for a store that could not be read (its findings are left as they were)."""
    run = ScanRun(system=system, outcome=RunOutcome.unreachable, requested_by=requested_by,
                  started_at=started, finished_at=utcnow())  # fmt: skip
    repository.add_run(session, run=run)
    _audit(session, run)
    return run


def _audit(session: Session, run: ScanRun) -> None:
    counts = {
        "run": run.id, "outcome": run.outcome.value, "tables": run.tables_seen,
        "columns": run.columns_seen, "rows_sampled": run.rows_sampled,
        "personal": run.personal_columns, "undeclared": run.undeclared_columns,
        "new": run.new_columns, "free_text": run.free_text_columns,
    }  # fmt: skip
    record_event(session, actor=run.requested_by, action="discovery_scanned",
                 subject_type="system", subject_id=run.system, details=counts,
                 at=run.finished_at)  # fmt: skip


def request_scan(
    session: Session, *, datamap: DataMap, queue: Dispatcher, system: str, actor: str
) -> str:
    """Queue a scan of one system (run once the caller commits); returns the task's id."""
    if system not in scannable_systems(datamap):
        raise UnknownSystemError(f"There is no SQL system `{system}` in the data map to scan.")
    task = defer_job(session, queue=queue, kind=DISCOVERY_SCAN,
                     payload={"systems": [system], "requested_by": actor})  # fmt: skip
    record_event(session, actor=actor, action="discovery_scan_requested",
                 subject_type="system", subject_id=system, details={"task": task.id})  # fmt: skip
    return task.id


# --- the console's view ------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRow:
    """One column as the console shows it: declared and/or found, and what was found."""

    table: str
    column: str
    declared_category: str | None
    found_category: str | None
    confidence: float | None
    evidence: str | None
    matched: str | None  # "3 of 200 sampled values"
    new: bool
    free_text: bool
    yaml: str | None  # for an undeclared personal column: the field line to add
    dataset: str | None


@dataclass(frozen=True)
class SystemDrift:
    system: str
    last_run: ScanRun | None
    previous_run: ScanRun | None
    rows: list[ColumnRow]

    @property
    def new(self) -> list[ColumnRow]:
        return [r for r in self.rows if r.new]

    @property
    def free_text(self) -> list[ColumnRow]:
        return [r for r in self.rows if r.free_text]

    @property
    def undeclared(self) -> list[ColumnRow]:
        return [r for r in self.rows if r.found_category and r.declared_category is None]


def system_drift(session: Session, *, datamap: DataMap, system: str) -> SystemDrift:
    """Declared vs found for one system, from its last run."""
    if system not in scannable_systems(datamap):
        raise UnknownSystemError(f"There is no SQL system `{system}` in the data map.")
    runs = repository.recent_runs(session, system=system, limit=2)
    last = runs[0] if runs else None
    done = last is not None and last.outcome is RunOutcome.done
    found = repository.seen_in(session, run_id=last.id) if last is not None and done else []
    rows = {(f.table_name, f.column_name): _found_row(datamap, f, last) for f in found}
    for table, (did, _) in declared_tables(datamap, system=system).items():
        for column, field in datamap.datasets[did].fields.items():
            row = rows.get((table, column))
            rows[(table, column)] = _declared_row(table, column, field.category, did, row)
    ordered = [rows[key] for key in sorted(rows)]
    return SystemDrift(system, last, runs[1] if len(runs) > 1 else None, ordered)


def _found_row(datamap: DataMap, f: ColumnFinding, last: ScanRun | None) -> ColumnRow:
    matched = (
        f"{f.values_matched} of {f.values_sampled} sampled values"
        if f.evidence is not Evidence.name
        else None
    )
    yaml = f"{scalar(f.column_name)}: {{category: {f.category}, erase: {f.erase}}}"
    return ColumnRow(f.table_name, f.column_name, None, f.category, f.confidence,
                     f.evidence.value, matched, last is not None and f.first_seen_run == last.id,
                     f.free_text, yaml, f.dataset)  # fmt: skip


def _declared_row(
    table: str, column: str, category: str, dataset: str, found: ColumnRow | None
) -> ColumnRow:
    if found is None:
        return ColumnRow(table, column, category, None, None, None, None, False, False,
                         None, dataset)  # fmt: skip
    return ColumnRow(table, column, category, found.found_category, found.confidence,
                     found.evidence, found.matched, found.new, found.free_text, None, dataset)  # fmt: skip


@dataclass(frozen=True)
class SystemSummary:
    system: str
    last_run: ScanRun | None


def systems_overview(session: Session, *, datamap: DataMap) -> list[SystemSummary]:
    """Each SQL system of the map with its last run (None: never scanned)."""
    systems = scannable_systems(datamap)
    latest = repository.latest_runs(session, systems=systems)
    return [SystemSummary(sid, latest.get(sid)) for sid in systems]


def recent_scans(session: Session, *, limit: int = 10) -> list[ScanRun]:
    """The last scans of any system, newest first: for the Jobs page."""
    return repository.latest_runs_all(session, limit=limit)
