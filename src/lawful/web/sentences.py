"""The app shell's own audit entries in words (sign-in), for the audit trail's page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawful.datamap.models import DataMap

_METHODS = {"password": "with a password", "sso": "through single sign-on"}


def audit_sentence(action: str, details: Mapping[str, Any], datamap: DataMap) -> str | None:
    """`staff.signed_in` → "Staff signed in with a password"; other entries: None."""
    if action != "staff.signed_in":
        return None
    how = _METHODS.get(str(details.get("method", "")))
    return f"Staff signed in {how}" if how else "Staff signed in"
