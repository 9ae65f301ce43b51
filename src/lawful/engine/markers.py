"""Restriction markers (GDPR Art. 18): one blind-indexed marker per restricted record.

Low-level look-ups shared by every run (and by sweeps); the restriction service is in
`lawful.engine.restriction`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from lawful.engine import repository
from lawful.engine.collect import Collected
from lawful.engine.keys import key_text
from lawful.store.crypto import Keyring

# A record a retention rule isolated at the end of its period (`action: isolate`): kept apart
# from further processing, but not restricted at the person's request, so erasure and
# rectification still reach it; only sweeps read this reason.
ISOLATED = "retention_isolated"


def record_index(keyring: Keyring, *, dataset: str, key: Any) -> str:
    """Blind index of one record: the store keeps no key in clear next to the reason. A
    composite key (a tuple) is written as a JSON list of its parts."""
    return keyring.index(f"record\x00{dataset}\x00{key_text(key)}")


def restricted_keys(
    session: Session, *, keyring: Keyring, dataset: str, keys: Iterable[Any]
) -> set[Any]:
    """Which of `keys` (primary-key values of `dataset`) are restricted — for sweeps."""
    indexed = {record_index(keyring, dataset=dataset, key=k): k for k in keys}
    found = repository.restricted_indexes(session, dataset=dataset, record_indexes=indexed)
    return {indexed[i] for i in found}


def mark_restricted(session: Session, *, keyring: Keyring, collected: Collected) -> None:
    """Flag the collected records that carry a restriction marker (one look-up in all: a
    record index already binds its dataset)."""
    indexed = {
        record_index(keyring, dataset=dataset, key=key): record
        for dataset, records in collected.records.items()
        for key, record in records.items()
    }
    if not indexed:
        return
    found = repository.restricted_indexes(
        session, record_indexes=indexed, exclude_reasons=(ISOLATED,)
    )
    for index in found:
        indexed[index].restricted = True
