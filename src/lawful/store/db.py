"""Engine and sessions of the platform store, made by functions (never at import)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.audit import AUDIT_INFO
from lawful.store.checkpoints import AuditTrail, forget_pending, publish_pending


def create_store_engine(url: str, **options: Any) -> Engine:
    """An engine for the platform store. SQLite gets WAL, foreign keys and a busy timeout,
    so a CLI command and a worker can share the embedded database."""
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def session_factory(engine: Engine, *, audit: AuditTrail | None = None) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after a commit (the runner commits per step).

    With `audit`, each session keys the audit entries it writes and checkpoints the trail's
    head after the commits that pass every N-th entry.
    """
    if audit is None:
        return sessionmaker(engine, expire_on_commit=False)
    factory = sessionmaker(engine, expire_on_commit=False, info={AUDIT_INFO: audit})
    event.listen(factory, "after_commit", publish_pending)
    event.listen(factory, "after_soft_rollback", forget_pending)
    return factory


def commit_checkpoint(session: Session) -> None:
    """Commit a progress checkpoint without waiting for the disk flush on PostgreSQL
    (`synchronous_commit = off` for this transaction only).

    A crash of the database server may lose the last such commits, never corrupt or reorder
    them; use it only where losing one is safe — the job runner reads back every unfinished
    step before sending it, so a lost checkpoint is found done, not applied twice.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))
    session.commit()
