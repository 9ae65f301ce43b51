"""Restriction of processing (GDPR Art. 18): a marker per record, honoured by the engine.

A restricted record is only stored (Art. 18(2)): erasure and rectification leave it as it is
and say so, and sweeps ask `restricted_keys` before touching a row. The person's own access
request still shows it, flagged, since answering them is at their request (Art. 15, 18(2)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine import repository
from lawful.engine.collect import Collected
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity
from lawful.engine.jobs import record_finished_job
from lawful.engine.markers import record_index
from lawful.engine.models import JobKind
from lawful.engine.person import find_records
from lawful.store.crypto import Keyring


class RestrictionReason(StrEnum):
    """The grounds of GDPR Art. 18(1)."""

    accuracy_contested = "accuracy_contested"  # (a) while accuracy is verified
    unlawful_processing = "unlawful_processing"  # (b) the person prefers it to erasure
    legal_claims = "legal_claims"  # (c) needed by the person for legal claims
    objection_pending = "objection_pending"  # (d) while an Art. 21(1) objection is weighed


@dataclass(frozen=True)
class RestrictionResult:
    job_id: str
    lifted: bool
    records: int
    changed: int
    by_dataset: dict[str, int]
    keys: dict[str, list[Any]] = field(default_factory=dict)  # the person's records' keys


def restrict_records(
    session: Session,
    *,
    keyring: Keyring,
    collected: Collected,
    identity: Identity,
    reason: RestrictionReason,
) -> dict[str, int]:
    """Mark every collected record restricted; returns new markers per dataset."""
    added: dict[str, int] = {}
    for dataset, records in collected.records.items():
        pairs = [(dataset, record_index(keyring, dataset=dataset, key=k)) for k in records]
        added[dataset] = repository.add_restrictions(
            session,
            identity_index=keyring.index(identity.canonical()),
            reason=reason.value,
            records=pairs,
        )
    return added


def lift_restrictions(
    session: Session, *, keyring: Keyring, collected: Collected
) -> dict[str, int]:
    """Remove the markers of every collected record. Tell the person first (Art. 18(3))."""
    return {
        dataset: repository.remove_restrictions(
            session,
            records=[(dataset, record_index(keyring, dataset=dataset, key=k)) for k in records],
        )
        for dataset, records in collected.records.items()
    }


def run_restriction(
    session: Session,
    *,
    datamap: DataMap,
    identity: Identity,
    datastores: Datastores,
    keyring: Keyring,
    reason: RestrictionReason,
    lift: bool = False,
) -> RestrictionResult:
    """Restrict (or lift the restriction of) every record about the person. Writes only to
    the platform store, in the caller's transaction (no commit)."""
    with datastores.reading():
        collected = find_records(
            session, datamap=datamap, identity=identity, datastores=datastores, keyring=keyring
        )
    if lift:
        changed = lift_restrictions(session, keyring=keyring, collected=collected)
    else:
        changed = restrict_records(
            session, keyring=keyring, collected=collected, identity=identity, reason=reason
        )
    job = record_finished_job(
        session,
        kind=JobKind.restrict,
        identity=identity,
        keyring=keyring,
        datamap=datamap,
        summary={"lifted": lift, "reason": reason.value, "changed": changed},
    )
    keys = {dataset: list(records) for dataset, records in collected.records.items() if records}
    return RestrictionResult(job.id, lift, collected.total(), sum(changed.values()), changed, keys)
