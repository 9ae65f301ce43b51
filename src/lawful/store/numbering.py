"""Register references numbered per year (`CP-2026-0001`): the next number is one more than
the year's highest, and a row is inserted under a savepoint, so when another transaction took
that number first (the unique constraint says so once it commits) the insert is tried again
with the next one, instead of failing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")
ATTEMPTS = 50


def insert_numbered(
    session: Session, column: Any, prefix: str, now: datetime, make: Callable[[str], Row]
) -> Row:
    """Insert `make(reference)` with the year's next free reference `PREFIX-YYYY-NNNN`, where
    `column` is the model's unique reference column."""
    start = f"{prefix}-{now:%Y}-"
    failure: IntegrityError | None = None
    for _ in range(ATTEMPTS):
        taken = session.scalars(select(column).where(column.like(f"{start}%")))
        numbers = [int(r.removeprefix(start)) for r in taken]
        row = make(f"{start}{max(numbers, default=0) + 1:04d}")
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as error:  # another transaction took the number: take the next
            failure = error
            continue
        return row
    assert failure is not None
    raise failure
