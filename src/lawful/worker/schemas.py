"""Pydantic shapes of the worker's JSON endpoints (the installation's status)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ComponentOut(BaseModel):
    component: str = Field(description="`store`, `workers`, `jobs`, `broker`, `datastore <system>`")
    status: str = Field(
        description="`ok` or `in-process` when fine; else `unreachable`, `outdated`, "
        "`none` (no worker seen lately), `failed` (jobs staff must retry), `unknown`"
    )
    details: str = Field(description="Counts, kinds and error classes: nothing personal")
    ok: bool


class StatusOut(BaseModel):
    status: str = Field(description="`ok` when every component is, else `degraded`")
    checked_at: datetime
    components: list[ComponentOut]
