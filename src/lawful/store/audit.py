"""The audit trail: append-only, hash-chained entries for every action Lawful takes.

Each entry holds the hash of the one before it, so editing or deleting any entry breaks the
chain from that point on, and `verify_chain` says where. Entries carry ids and blind
indexes only, never personal data in clear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from lawful.store.models import Base, UTCDateTime, utcnow

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x4C41_5746  # "LAWF": the advisory lock that serialises audit writers


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's content and the previous hash, in a canonical JSON form."""
    content = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry, chained to the last. The caller's transaction commits it.

    On PostgreSQL a transaction-scoped advisory lock makes writers queue, so two transactions
    never chain onto the same entry (a row lock is not enough under READ COMMITTED: the second
    writer would read the same last entry once the first commits). On SQLite the database's
    single writer does the same.
    """
    when = (at or utcnow()).astimezone(UTC)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        at=when,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details or {},
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


def verify_chain(session: Session, *, batch: int = 5000) -> list[ChainBreak]:
    """Walk the whole trail; return every place where it was edited, removed or reordered."""
    breaks: list[ChainBreak] = []
    expected_prev, expected_seq = GENESIS, 1
    for entry in _entries(session, batch=batch):
        if entry.seq != expected_seq:
            breaks.append(
                ChainBreak(entry.seq, f"entries {expected_seq}–{entry.seq - 1} are missing")
            )
        if entry.prev_hash != expected_prev:
            breaks.append(ChainBreak(entry.seq, "does not follow the entry before it"))
        if entry_hash(entry) != entry.hash:
            breaks.append(ChainBreak(entry.seq, "its content was changed after it was written"))
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    return breaks


def _entries(session: Session, *, batch: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
