"""What a sweep must leave alone, gathered once before it reads anything: datasets and
people under a legal hold, and the records of people with an open rights request.

People are matched through their records, found by the engine from their identity (so a
held person's call log or invoice is kept even though it holds no email address); records
are compared by blind index (`lawful.engine.markers.record_index`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity
from lawful.engine.markers import record_index
from lawful.engine.person import find_records
from lawful.retention import repository
from lawful.retention.service import refresh_held_records
from lawful.store.crypto import Keyring

OpenRequests = Callable[[Session], list[Identity]]
"""The identities of people whose rights request is still open (from the requests domain)."""


@dataclass
class Protection:
    held_datasets: dict[str, str] = field(default_factory=dict)  # dataset → hold name
    held_records: set[str] = field(default_factory=set)  # record indexes of held people
    requested_records: set[str] = field(default_factory=set)  # … of people with a request
    requests_checked: bool = False  # False: the requests domain was not consulted
    open_requests: int = 0

    def any_record(self) -> bool:
        return bool(self.held_records or self.requested_records)


def gather_protection(
    session: Session,
    *,
    datamap: DataMap,
    datastores: Datastores,
    keyring: Keyring,
    open_requests: OpenRequests | None,
) -> Protection:
    """Refresh the records of held people through the connectors, then collect everything a
    sweep must skip. Raises EngineError when a store cannot be read (fail closed)."""
    refresh_held_records(session, datamap=datamap, datastores=datastores, keyring=keyring)
    protection = Protection(
        held_datasets={
            dataset: hold.reference or hold.id
            for hold in repository.list_holds(session)
            for dataset in hold.datasets
        },
        held_records=repository.all_held_record_indexes(session),
    )
    if open_requests is not None:
        people = open_requests(session)
        protection.requests_checked, protection.open_requests = True, len(people)
        for identity in people:
            protection.requested_records |= _record_indexes(
                session, datamap=datamap, datastores=datastores, keyring=keyring, identity=identity
            )
    return protection


def _record_indexes(
    session: Session,
    *,
    datamap: DataMap,
    datastores: Datastores,
    keyring: Keyring,
    identity: Identity,
) -> set[str]:
    with datastores.reading():
        collected = find_records(
            session, datamap=datamap, identity=identity, datastores=datastores, keyring=keyring
        )
    return {
        record_index(keyring, dataset=dataset, key=key)
        for dataset, records in collected.records.items()
        for key in records
    }
