"""The options a SQL system accepts in `connection.options` (docs/connectors.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SQLOptions(BaseModel):
    """`connection.options` a SQL system accepts."""

    model_config = ConfigDict(extra="forbid")

    connect_timeout: int = Field(default=5, ge=1, le=300, description="Seconds to connect")
    # Values per IN list and per executemany chunk: far below every driver's parameter limit
    # (SQLite 32766, PostgreSQL 65535, MySQL 65535) and small enough for fast plans.
    batch_size: int = Field(default=500, ge=1, le=10_000)
