"""Which of a person's records a legal hold keeps (GDPR Art. 17(3)(e)): the engine's erasure
asks through `lawful.engine.holds.HoldsReader`, and every caller of an erasure passes
`legal_holds_on` in, so the engine reads no table of this domain.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lawful.engine.collect import Collected
from lawful.engine.holds import LegalHolds
from lawful.engine.identity import Identity
from lawful.engine.markers import record_index
from lawful.retention import repository
from lawful.store.crypto import Keyring


def legal_holds_on(
    session: Session, *, keyring: Keyring, identity: Identity, collected: Collected
) -> LegalHolds:
    """Which of the person's records a legal hold keeps: all of them when one of their
    identity values is held, those of held datasets, and those found for a held person."""
    if not repository.has_active_hold(session):
        return LegalHolds()
    values = {keyring.index(Identity((pair,)).canonical()) for pair in identity.values}
    on_person = repository.hold_on_values(session, value_indexes=values)
    by_dataset = repository.holds_on_datasets(session, datasets=collected.records)
    indexed = {
        record_index(keyring, dataset=d, key=k): (d, k)
        for d, records in collected.records.items()
        for k in records
    }
    by_record = {} if on_person else repository.holds_with_records(session, record_indexes=indexed)
    kept: dict[str, dict[Any, str]] = {}
    for index, (dataset, key) in indexed.items():
        hold = on_person or by_dataset.get(dataset) or by_record.get(index)
        if hold is not None:
            kept.setdefault(dataset, {})[key] = _hold_why(hold.reference or hold.id, hold.reason)
    return LegalHolds(kept)


def _hold_why(name: str, reason: str) -> str:
    return (
        f"legal hold {name} ({reason}): kept for legal claims until released — GDPR Art. 17(3)(e)"
    )
