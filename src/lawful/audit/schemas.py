"""Pydantic shapes of the web layer's own JSON endpoints (the audit trail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str = Field(description="`staff:<id>`, `token:<id>`, `person`, `policy`, `cli`…")
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, Any] = Field(description="Ids and blind indexes only: no personal data")
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    total: int = Field(description="Entries matching, across all pages")


class ChainCheck(BaseModel):
    intact: bool
    breaks: list[str] = Field(description="Where the chain was edited, cut or reordered")
    kinds: list[str] = Field(
        default_factory=list,
        description="Kinds of break found: edited, missing, unkeyed, rechained, truncated, "
        "checkpoint (the last checkpoint is unreadable or not signed by this installation)",
    )
    count: int = Field(default=0, description="Entries in the trail")
    checkpoint_count: int | None = Field(
        default=None, description="Entries the last checkpoint counted (none yet: null)"
    )
    checkpoint_at: datetime | None = Field(default=None, description="When it was signed")
