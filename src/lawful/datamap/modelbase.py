"""The base of every data-map model (kept apart so that the map's sections can live in
several modules without importing each other in a loop)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Base of every data-map model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)
