"""Queries of the discovery tables: scan runs and the personal columns they found."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawful.discovery.models import ColumnFinding, ScanRun


def add_run(session: Session, *, run: ScanRun) -> ScanRun:
    session.add(run)
    session.flush()
    return run


def findings_of(session: Session, *, system: str) -> dict[tuple[str, str], ColumnFinding]:
    """Every column of `system` ever found personal, by (table, column)."""
    rows = session.scalars(select(ColumnFinding).where(ColumnFinding.system == system))
    return {(f.table_name, f.column_name): f for f in rows}


def add_finding(session: Session, *, finding: ColumnFinding) -> None:
    session.add(finding)


def recent_runs(session: Session, *, system: str, limit: int) -> list[ScanRun]:
    """The system's newest runs first."""
    return list(
        session.scalars(
            select(ScanRun)
            .where(ScanRun.system == system)
            .order_by(ScanRun.started_at.desc(), ScanRun.id.desc())
            .limit(limit)
        )
    )


def latest_runs(session: Session, *, systems: Sequence[str]) -> dict[str, ScanRun]:
    """Each system's newest run (systems never scanned are left out)."""
    newest = (
        select(ScanRun.system, func.max(ScanRun.started_at).label("at"))
        .where(ScanRun.system.in_(systems))
        .group_by(ScanRun.system)
        .subquery()
    )
    rows = session.scalars(
        select(ScanRun)
        .join(newest, (ScanRun.system == newest.c.system) & (ScanRun.started_at == newest.c.at))
        .order_by(ScanRun.id)
    )
    return {run.system: run for run in rows}


def seen_in(session: Session, *, run_id: str) -> list[ColumnFinding]:
    """The personal columns the run saw, by table and column."""
    return list(
        session.scalars(
            select(ColumnFinding)
            .where(ColumnFinding.last_seen_run == run_id)
            .order_by(ColumnFinding.table_name, ColumnFinding.column_name)
        )
    )


def latest_runs_all(session: Session, *, limit: int) -> list[ScanRun]:
    """The newest runs of every system, newest first (the Jobs page)."""
    query = select(ScanRun).order_by(ScanRun.started_at.desc(), ScanRun.id.desc()).limit(limit)
    return list(session.scalars(query))
