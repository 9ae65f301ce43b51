"""The audit trail, filtered, as a file to hand over (CSV or JSON Lines), with the result of
checking the whole keyed hash chain at the time of the export (`checkpoints.verify_trail`):
whoever receives it knows whether the trail the entries come from was intact."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.audit.repository import AuditFilter, each_entry
from lawful.http.csvfile import csv_text
from lawful.store.audit import AuditEntry
from lawful.store.checkpoints import verify_trail

FORMATS = ("csv", "jsonl")
COLUMNS = ("seq", "at", "actor", "actor_name", "action", "subject_type", "subject_id",
           "details", "prev_hash", "hash", "chain_version")  # fmt: skip


def verification(session: Session, now: datetime) -> dict[str, Any]:
    check = verify_trail(session)
    return {
        "checked_at": now.isoformat(timespec="seconds"),
        "intact": check.intact,
        "entries_checked": check.count,
        "breaks": [str(chain_break) for chain_break in check.breaks],
        "checkpoint_count": check.checkpoint.count if check.checkpoint else None,
    }


def _row(entry: AuditEntry, names: dict[str, str]) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "actor_name": names.get(entry.actor, ""),
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "chain_version": entry.chain_version,
    }


def export_trail(
    session: Session,
    *,
    wanted: AuditFilter,
    file_format: str,
    names: dict[str, str],
    now: datetime,
) -> tuple[str, int, dict[str, Any]]:
    """The file's text, how many entries it holds, and the chain check it carries: in
    JSON Lines its first line ({"verification": …}); in CSV its first rows, before the
    entries' header (a `verification` row, then one row per break)."""
    checked = verification(session, now)
    rows = [_row(entry, names) for entry in each_entry(session, wanted=wanted)]
    if file_format == "jsonl":
        lines = [json.dumps({"verification": checked}, ensure_ascii=False)]
        lines += [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
        return "\n".join(lines) + "\n", len(rows), checked
    check_row = ("verification", "intact" if checked["intact"] else "BROKEN",
                 f"{checked['entries_checked']} entries checked", checked["checked_at"])  # fmt: skip
    breaks = [("break", text) for text in checked["breaks"]]
    body = [[json.dumps(r[c], ensure_ascii=False, sort_keys=True) if c == "details" else r[c]
             for c in COLUMNS] for r in rows]  # fmt: skip
    text = csv_text(check_row, breaks) + "\r\n" + csv_text(COLUMNS, body)
    return text, len(rows), checked
