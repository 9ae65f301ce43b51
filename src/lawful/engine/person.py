"""Find a person's records: plan, check the stores, read, and flag restricted records."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine.collect import Collected, collect_records
from lawful.engine.datastores import Datastores, check_datastores
from lawful.engine.identity import Identity
from lawful.engine.markers import mark_restricted
from lawful.engine.plan import build_plan
from lawful.store.crypto import Keyring


def find_records(
    session: Session,
    *,
    datamap: DataMap,
    identity: Identity,
    datastores: Datastores,
    keyring: Keyring,
) -> Collected:
    """Every record about the person, from every system the map connects. Raises EngineError
    (naming system and dataset) when a store is unreachable or out of step with the map."""
    plan = build_plan(datamap=datamap, identity=identity)
    check_datastores(plan=plan, datastores=datastores)
    collected = collect_records(plan=plan, datastores=datastores)
    mark_restricted(session, keyring=keyring, collected=collected)
    return collected
