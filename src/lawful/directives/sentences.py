"""The post-mortem directives register's audit entries in words, for the audit trail page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawful.datamap.models import DataMap


def audit_sentence(action: str, details: Mapping[str, Any], datamap: DataMap) -> str | None:
    """`directive.*` → "Post-mortem directive applied: requests R-1, R-2"."""
    if action == "directive.recorded":
        asks = ", ".join(details.get("instructions") or [])
        return f"Post-mortem directive recorded ({details.get('kind', '')}): asks {asks}"
    if action == "directive.verified":
        return "Post-mortem directive verified: the person's identity checked"
    if action == "directive.death_reported":
        return "Death reported by the designated person, with proof"
    if action == "directive.applied":
        return f"Post-mortem directive applied: requests {', '.join(details.get('requests') or [])}"
    return None
