"""Engine and sessions of the platform store, made by functions (never at import)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.audit import AUDIT_INFO
from lawful.store.checkpoints import AuditTrail, forget_pending, publish_pending


def create_store_engine(url: str, **options: Any) -> Engine:
    """An engine for the platform store. SQLite gets WAL, foreign keys and a busy timeout,
    so a CLI command and a worker can share the embedded database. Error messages never
    carry the statement's values (`hide_parameters`): they are personal data, and a failed
    statement's message may reach a log."""
    engine = create_engine(url, **(options | {"hide_parameters": True}))
    hide_values_in_errors(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


# A quoted literal in a database's message: the value ('…' in MySQL's "Duplicate entry
# '…'", "…" in PostgreSQL's "invalid input syntax for type integer: "…"").
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def hide_values_in_errors(engine: Engine) -> None:
    """`hide_parameters` keeps the values out of SQLAlchemy's part of an error; the database
    puts some back in its own (PostgreSQL's `DETAIL: Key (email)=(…)`, MySQL's `Duplicate
    entry '…'`). Keep only the first line, its quoted literals hidden, and the constraint's
    name, in both the driver's error and SQLAlchemy's (a logged traceback shows both)."""
    if not event.contains(engine, "handle_error", _hide_values):
        event.listen(engine, "handle_error", _hide_values)


def _hide_values(context: ExceptionContext) -> None:
    error, original = context.sqlalchemy_exception, context.original_exception
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    safe = _QUOTED.sub("…", first_line)
    constraint = getattr(getattr(original, "diag", None), "constraint_name", None)
    if constraint:
        safe += f" (constraint {constraint})"
    original.args = (safe,)
    if error is not None:
        kind = type(original)
        error.args = (f"({kind.__module__}.{kind.__name__}) {safe}",)


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
