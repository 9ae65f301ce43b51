"""The decision hook `lawful.requests.hooks` calls when a request's run restricts (or lifts
the restriction of) a person's records: one marker per dataset holding them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine.identity import Identity
from lawful.markers.models import MarkerKind
from lawful.markers.service import PersonInDataset, lift_marker, place_marker
from lawful.store.crypto import Keyring
from lawful.store.tasks import Dispatcher


def people_in_datasets(
    datamap: DataMap, identity: Identity, keys: Mapping[str, list[Any]]
) -> list[PersonInDataset]:
    """The person as each dataset holding records of theirs knows them: the identity values
    of the types that dataset declares, and its record keys."""
    people = []
    for dataset, found in keys.items():
        if dataset not in datamap.datasets:
            continue
        types = datamap.datasets[dataset].identity_fields()
        identities = {kind: identity.of(kind) for kind in types if identity.of(kind)}
        people.append(
            PersonInDataset(
                dataset=dataset,
                person=identity.canonical(),
                identities=identities,
                keys=[_plain(key) for key in found],
            )
        )
    return people


def decision_hook(queue: Dispatcher) -> Callable[..., None]:
    """The hook for a platform whose jobs go to `queue`."""

    def hook(
        session: Session,
        *,
        datamap: DataMap,
        keyring: Keyring,
        identity: Identity,
        keys: Mapping[str, list[Any]],
        kind: str,
        reason: str,
        lift: bool,
        actor: str,
    ) -> None:
        for person in people_in_datasets(datamap, identity, keys):
            common: dict[str, Any] = {
                "keyring": keyring,
                "datamap": datamap,
                "queue": queue,
                "person": person,
                "kind": MarkerKind(kind),
                "actor": actor,
            }
            if lift:
                lift_marker(session, **common)
            else:
                place_marker(session, reason=reason, **common)

    return hook


def _plain(key: Any) -> Any:
    """A record key as JSON carries it (a composite key as a list of its parts)."""
    if isinstance(key, tuple):
        return [_plain(part) for part in key]
    return key if isinstance(key, (int, str, float, bool)) or key is None else str(key)
