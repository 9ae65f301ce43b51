"""Every query on the markers' tables; nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from lawful.markers.models import Marker, MarkerChange
from lawful.store.crypto import Keyring
from lawful.store.tasks import Task

IDENTITY_CONTEXT = "markers.identity"


def changes_since(
    session: Session, *, dataset: str | None, cursor: int, limit: int
) -> Sequence[Row[MarkerChange, Marker]]:
    """Changes after `cursor` (a change's seq), oldest first, with their marker."""
    query = (
        select(MarkerChange, Marker)
        .join(Marker, Marker.id == MarkerChange.marker_id)
        .where(MarkerChange.seq > cursor)
        .order_by(MarkerChange.seq)
        .limit(limit)
    )
    if dataset is not None:
        query = query.where(MarkerChange.dataset == dataset)
    return session.execute(query).all()


def markers_in_force(
    session: Session, *, dataset: str | None, after: str, limit: int
) -> Sequence[Marker]:
    """Markers in force, by id (a page starts after the last id of the one before)."""
    query = select(Marker).where(Marker.active.is_(True), Marker.id > after)
    if dataset is not None:
        query = query.where(Marker.dataset == dataset)
    return session.scalars(query.order_by(Marker.id).limit(limit)).all()


def change_with_marker(session: Session, seq: int) -> tuple[MarkerChange, Marker] | None:
    row = session.execute(
        select(MarkerChange, Marker)
        .join(Marker, Marker.id == MarkerChange.marker_id)
        .where(MarkerChange.seq == seq)
    ).first()
    return (row[0], row[1]) if row else None


def recent_changes(session: Session, *, limit: int) -> Sequence[Row[MarkerChange, Marker]]:
    """The newest changes, for the console page."""
    return session.execute(
        select(MarkerChange, Marker)
        .join(Marker, Marker.id == MarkerChange.marker_id)
        .order_by(MarkerChange.seq.desc())
        .limit(limit)
    ).all()


def opened_identity(keyring: Keyring, marker: Marker) -> dict[str, Any]:
    """The dataset's own identity values and keys (only for authenticated callers)."""
    value = keyring.decrypt_json(marker.identity_sealed, context=IDENTITY_CONTEXT)
    return value if isinstance(value, dict) else {}


def marker_event(keyring: Keyring, change: MarkerChange | None, marker: Marker) -> dict[str, Any]:
    """A marker as the API, the exports and the webhooks give it."""
    opened = opened_identity(keyring, marker)
    event: dict[str, Any] = {
        "marker_id": marker.id,
        "dataset": marker.dataset,
        "kind": marker.kind,
        "reason": marker.reason,
        "active": marker.active,
        "identities": opened.get("identities", {}),
        "keys": opened.get("keys", []),
        "since": marker.updated_at.isoformat(),
    }
    if change is not None:
        event |= {"seq": change.seq, "action": change.action, "at": change.at.isoformat()}
    return event


def delivery_states(session: Session, seqs: list[int]) -> dict[int, tuple[str, str | None]]:
    """The delivery job of each change (by seq): its status and last error."""
    keys = {f"markers.webhook:{seq}": seq for seq in seqs}
    if not keys:
        return {}
    rows = session.execute(
        select(Task.dedupe_key, Task.status, Task.last_error).where(Task.dedupe_key.in_(keys))
    ).all()
    return {keys[str(key)]: (str(status.value), error) for key, status, error in rows}
