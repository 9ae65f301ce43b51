"""The markers API's response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class MarkerOut(BaseModel):
    marker_id: str
    dataset: str
    kind: str = Field(description="restriction, objection, isolation or erasure_pending")
    reason: str
    active: bool = Field(description="False once lifted: the system may process again")
    identities: dict[str, list[str]] = Field(
        description="The person's identity values of the types this dataset declares"
    )
    keys: list[Any] = Field(description="Primary keys of the person's records in the dataset")
    since: str = Field(description="When the decision was last placed or lifted (ISO 8601)")
    seq: int | None = Field(default=None, description="The change's number: the next cursor")
    action: str | None = Field(default=None, description="placed or lifted")
    at: str | None = None


class ChangesPage(BaseModel):
    changes: list[MarkerOut]
    next_cursor: int = Field(description="Pass it as `cursor` to get the changes after these")


class MarkersPage(BaseModel):
    markers: list[MarkerOut]
    next_after: str | None = Field(description="Pass it as `after` for the next page; null: done")
