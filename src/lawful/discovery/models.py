"""The discovery domain's tables: scheduled or on-demand scans of the map's SQL systems, and
what each column was found to hold.

Only structure, categories and counts are stored — never a sampled value: a scan reads a
bounded sample of each table, classifies it in memory and drops it (lawful.discovery.scan).
One finding row per (system, table, column) found personal, updated by each run: the run that
first found it and the last run that saw it tell what is new since the previous scan.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class RunOutcome(StrEnum):
    done = "done"  # every table of the system was read
    unreachable = "unreachable"  # the store could not be read: nothing was recorded for it


class Evidence(StrEnum):
    name = "name"
    values = "values"
    both = "both"


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class ScanRun(Base):
    """One scan of one system: when, what was seen, and how much of it looked personal."""

    __tablename__ = "discovery_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    system: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[RunOutcome] = mapped_column(_enum(RunOutcome))
    requested_by: Mapped[str] = mapped_column(String(200), comment="schedule, staff:<id> or cli")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    tables_seen: Mapped[int] = mapped_column(Integer, default=0)
    columns_seen: Mapped[int] = mapped_column(Integer, default=0)
    rows_sampled: Mapped[int] = mapped_column(Integer, default=0)
    personal_columns: Mapped[int] = mapped_column(Integer, default=0)
    undeclared_columns: Mapped[int] = mapped_column(Integer, default=0)
    new_columns: Mapped[int] = mapped_column(Integer, default=0)
    free_text_columns: Mapped[int] = mapped_column(Integer, default=0)


class ColumnFinding(Base):
    """A live column found personal: its category guessed, how sure, from what evidence,
    whether the map declares it, whether it is free text holding personal data."""

    __tablename__ = "discovery_findings"
    __table_args__ = (UniqueConstraint("system", "table_name", "column_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(100), index=True)
    table_name: Mapped[str] = mapped_column(String(200))
    column_name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), comment="data category guessed")
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[Evidence] = mapped_column(_enum(Evidence))
    values_sampled: Mapped[int] = mapped_column(Integer, default=0)
    values_matched: Mapped[int] = mapped_column(Integer, default=0)
    declared: Mapped[bool] = mapped_column(Boolean, comment="the map declares this field")
    dataset: Mapped[str | None] = mapped_column(
        String(100), nullable=True, comment="the map's dataset for the table, if any"
    )
    erase: Mapped[str] = mapped_column(String(64), comment="erase strategy the column accepts")
    free_text: Mapped[bool] = mapped_column(Boolean, comment="free text holding personal data")
    first_seen_run: Mapped[str] = mapped_column(ForeignKey("discovery_runs.id"))
    last_seen_run: Mapped[str] = mapped_column(ForeignKey("discovery_runs.id"), index=True)
