"""The audit trail: append-only, hash-chained entries for every action Lawful takes.

Each entry holds the hash of the one before it, so editing or deleting any entry breaks the
chain from that point on, and `verify_chain` says where. The hash is keyed (HMAC-SHA-256
under the audit key, kept outside the store), so whoever can write the database cannot
recompute it; signed checkpoints of the head, kept outside the store too
(`lawful.store.checkpoints`), reveal entries cut from the end or a chain rebuilt under
another key. Entries carry ids and blind indexes only, never personal data in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Integer, String, event, select, text
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from lawful.store.models import Base, UTCDateTime, utcnow

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x4C41_5746  # "LAWF": the advisory lock that serialises audit writers
UNKEYED = 1  # SHA-256: entries written before the audit key existed, still verified
KEYED = 2  # HMAC-SHA-256 under the audit key
AUDIT_INFO = "lawful.audit"  # the Session.info entry holding the installation's AuditTrail
PENDING_INFO = "lawful.audit.pending"  # entries to checkpoint once their transaction commits
QUEUED_INFO = "lawful.audit.queued"  # entries recorded, chained when their transaction commits


class AuditSigner(Protocol):
    """What a session needs to write keyed entries (`checkpoints.AuditTrail` is one)."""

    key: bytes
    checkpoint_every: int


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
    chain_version: Mapped[int] = mapped_column(
        Integer,
        default=KEYED,
        server_default="1",
        comment="1: SHA-256 (before the audit key); 2: HMAC-SHA-256 under the audit key",
    )


def entry_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """The hash over the entry's content and the previous hash, in a canonical JSON form:
    SHA-256 for an unkeyed entry, HMAC-SHA-256 under `key` for a keyed one."""
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
    if entry.chain_version == UNKEYED:
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()
    if key is None:
        raise ValueError("a keyed audit entry needs the audit key")
    content["chain_version"] = entry.chain_version  # a downgrade to SHA-256 changes the hash
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


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
    """Append one entry, chained to the last, when the caller's transaction commits: its
    `seq` and hashes are set then, with every other entry of the transaction, in the
    commit's own flush (`_chain_queued`). A rollback drops it with the rest.

    Chaining at the commit keeps the trail's lock for as short as a commit: on PostgreSQL a
    transaction-scoped advisory lock makes writers queue, so two transactions never chain
    onto the same entry (a row lock is not enough under READ COMMITTED: the second writer
    would read the same last entry once the first commits); on SQLite a write that changes
    nothing takes the database's single write lock first, to the same end. Taken earlier, the
    lock was held while a web request built its answer, and fifty requests at once could
    wait on each other for a thread until the connection pool gave up (issue 19).

    Keyed when the session carries the audit trail (every session the platform makes does);
    a session without it writes an unkeyed entry, which `verify_chain` reports once the
    keyed chain has begun.
    """
    trail: AuditSigner | None = session.info.get(AUDIT_INFO)
    entry = AuditEntry(
        at=(at or utcnow()).astimezone(UTC),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details or {},
        chain_version=KEYED if trail else UNKEYED,
    )
    queued: list[AuditEntry] | None = session.info.get(QUEUED_INFO)
    if queued is None:
        queued = session.info[QUEUED_INFO] = []
        event.listen(session, "before_commit", _chain_queued)
        event.listen(session, "after_soft_rollback", _drop_queued)
        event.listen(session, "do_orm_execute", _chain_before_reading)
    queued.append(entry)
    return entry


def _chain_before_reading(state: ORMExecuteState) -> None:
    """A transaction that reads the trail sees its own entries: they are chained first."""
    if (
        state.is_select
        and state.session.info.get(QUEUED_INFO)
        and any(mapper.class_ is AuditEntry for mapper in state.all_mappers)
    ):
        _chain_queued(state.session)
        state.session.flush()


def _chain_queued(session: Session) -> None:
    """Before the commit: flush the transaction's other changes, then take the trail's lock,
    read its head once, chain the transaction's entries onto it in order, and add them to
    the commit's flush."""
    queued: list[AuditEntry] = session.info.get(QUEUED_INFO) or []
    if not queued:
        return
    entries, queued[:] = list(queued), []
    trail: AuditSigner | None = session.info.get(AUDIT_INFO)
    dialect = session.get_bind().dialect.name
    # Every other change first, so the trail's lock is the last one a transaction takes: a
    # writer holding it never waits for a row another writer holds (while waiting for it).
    session.flush()
    with session.no_autoflush:
        if dialect == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
        elif dialect == "sqlite":
            # A write that changes nothing takes SQLite's write lock before the head is read;
            # without it two writers both read the same head and collide on `seq`.
            session.execute(text("UPDATE audit_entries SET seq = seq WHERE 0 = 1"))
        last = session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        ).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(entry, trail.key if trail else None)
        session.add(entry)
        if trail and trail.checkpoint_every and entry.seq % trail.checkpoint_every == 0:
            session.info.setdefault(PENDING_INFO, []).append((entry.seq, entry.hash))


def _drop_queued(session: Session, _previous: object = None) -> None:
    queued = session.info.get(QUEUED_INFO)
    if queued:
        queued.clear()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str
    kind: str = "edited"  # edited, missing, rechained, truncated, unkeyed, checkpoint

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}" if self.seq else self.reason


@dataclass(frozen=True)
class Anchor:
    """What a checkpoint kept outside the store says: the first `count` entries end in `head`."""

    count: int
    head: str
    at: datetime


def verify_chain(
    session: Session, *, key: bytes | None = None, anchor: Anchor | None = None, batch: int = 5000
) -> list[ChainBreak]:
    """Walk the whole trail; return every place where it was edited, removed or reordered,
    and, against `anchor`, whether entries were cut from the end or the chain rebuilt.
    `key` defaults to the audit key the session was made with."""
    if key is None and (trail := session.info.get(AUDIT_INFO)) is not None:
        key = trail.key
    breaks: list[ChainBreak] = []
    expected_prev, expected_seq, keyed_from = GENESIS, 1, 0
    for entry in _entries(session, batch=batch):
        if entry.seq != expected_seq:
            reason = f"entries {expected_seq}–{entry.seq - 1} are missing"
            breaks.append(ChainBreak(entry.seq, reason, "missing"))
        if entry.prev_hash != expected_prev:
            breaks.append(ChainBreak(entry.seq, "does not follow the entry before it", "edited"))
        breaks.extend(_entry_breaks(entry, key, keyed_from))
        if entry.chain_version != UNKEYED and not keyed_from:
            keyed_from = entry.seq
        if anchor and entry.seq == anchor.count and entry.hash != anchor.head:
            reason = f"differs from the checkpoint of {anchor.at:%Y-%m-%d %H:%M} UTC: the chain was rebuilt"
            breaks.append(ChainBreak(entry.seq, reason, "rechained"))
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    if anchor and expected_seq - 1 < anchor.count:
        reason = (
            f"the trail ends here but the checkpoint of {anchor.at:%Y-%m-%d %H:%M} UTC counted "
            f"{anchor.count} entries: the last {anchor.count - expected_seq + 1} were removed"
        )
        breaks.append(ChainBreak(expected_seq - 1, reason, "truncated"))
    return breaks


def _entry_breaks(entry: AuditEntry, key: bytes | None, keyed_from: int) -> list[ChainBreak]:
    if entry.chain_version == UNKEYED and keyed_from:
        reason = f"written without the audit key after the keyed chain began (entry {keyed_from})"
        return [ChainBreak(entry.seq, reason, "unkeyed")]
    if entry.chain_version not in (UNKEYED, KEYED):
        return [ChainBreak(entry.seq, "has an unknown chain version", "edited")]
    if entry.chain_version == KEYED and key is None:
        return [ChainBreak(entry.seq, "cannot be checked without the audit key", "edited")]
    if entry_hash(entry, key) != entry.hash:
        return [ChainBreak(entry.seq, "its content was changed after it was written", "edited")]
    return []


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
