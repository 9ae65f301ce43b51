"""Numbers the HTTP edge accepts, bounded so nothing out of range reaches a query (an offset
past 2**63 overflows the database driver: a 500 instead of a clear 422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 1_000_000_000
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"Items to skip: 0 to {MAX_OFFSET:,}")
]
