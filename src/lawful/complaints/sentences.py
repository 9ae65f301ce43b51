"""The complaints register's audit entries in words, for the audit trail page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawful.datamap.models import DataMap
from lawful.formats import day


def audit_sentence(action: str, details: Mapping[str, Any], datamap: DataMap) -> str | None:
    """`complaint.*` → "Complaint received from CNIL: answer by 6 Jan 2027"."""
    linked = ", ".join(details.get("linked_requests") or [])
    if action == "complaint.received":
        source = details.get("authority") or "the person"
        about = f" about request {linked}" if linked else ""
        return f"Complaint received from {source}{about}: answer by {day(details.get('deadline'))}"
    if action == "complaint.note_added":
        return "Complaint: note added"
    if action == "complaint.linked":
        return f"Complaint linked to request {linked}"
    if action == "complaint.updated":
        changed = " and ".join(details.get("changed") or [])
        return f"Complaint {changed} recorded: now {details.get('status', '')}"
    return None
