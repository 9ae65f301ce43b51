"""The DPIA register's audit entries in words (`Contribution.sentences`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawful.datamap.models import DataMap

FIELDS = {
    "summary": "the summary of risks and measures",
    "review_on": "the review date",
    "state": "the state",
}


def audit_sentence(action: str, details: Mapping[str, Any], datamap: DataMap) -> str | None:
    if action == "dpia.opened":
        purpose = str(details.get("purpose", ""))
        name = datamap.purposes[purpose].name if purpose in datamap.purposes else purpose
        return f"DPIA opened for “{name}”"
    if action == "dpia.updated":
        changed = [FIELDS.get(str(f), str(f)) for f in details.get("changed", [])]
        return f"DPIA updated ({', '.join(changed)}): now {details.get('state', '')}"
    return None
