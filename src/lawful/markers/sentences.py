"""The markers' audit entries in words, for the audit trail (`lawful.http.sentences`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lawful.datamap.models import DataMap

_HOW = {"webhook": "by signed webhook", "http_connector": "through its connector by staff",
        "manual": "by staff", "poll": "when it polls"}  # fmt: skip


def audit_sentence(action: str, details: Mapping[str, Any], datamap: DataMap) -> str | None:
    """`marker.placed` → "Restriction (legal claims) placed on dataset candidates; its
    system is told by staff"."""
    if not action.startswith("marker") or action == "markers.read":
        return _read(details) if action == "markers.read" else None
    dataset = str(details.get("dataset", ""))
    kind = str(details.get("kind", "decision")).replace("_", " ")
    reason = str(details.get("reason", "")).replace("_", " ").replace(",", ", ")
    name = action.removeprefix("marker.")
    if name in ("placed", "lifted"):
        how = _HOW.get(str(details.get("notify", "")), "")
        told = f"; its system is told {how}" if how else ""
        because = f" ({reason})" if name == "placed" and reason else ""
        return f"{kind.capitalize()}{because} {name} on dataset {dataset}{told}"
    if name == "delivered":
        return f"Decision delivered to the system of dataset {dataset} (webhook)"
    if name == "told":
        return f"The system of dataset {dataset} was told of a decision by hand"
    return None


def _read(details: Mapping[str, Any]) -> str:
    count = int(details.get("count") or 0)
    one = "change" if details.get("what") == "changes" else "marker"
    what = one if count == 1 else f"{one}s"
    if one == "marker":
        what += " in force"
    return f"A system read {count} {what} through the markers API"
