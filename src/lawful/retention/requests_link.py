"""The people with an open rights request, from the requests domain: a sweep leaves their
records alone until the request closes (an access request must see what is there; an erasure
must not race a sweep)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine.errors import IdentityError
from lawful.engine.identity import Identity
from lawful.requests.identity import engine_identity, open_identity
from lawful.retention import repository
from lawful.retention.protect import OpenRequests
from lawful.store.crypto import Keyring


def open_request_identities(*, keyring: Keyring, datamap: DataMap) -> OpenRequests:
    """A function giving, in a session, the identity of each person with an open request."""

    def load(session: Session) -> list[Identity]:
        found: list[Identity] = []
        for request in repository.open_requests(session):
            try:
                found.append(engine_identity(open_identity(keyring, request), datamap))
            except IdentityError:
                continue  # no value the map can search by: no record of theirs to protect
        return found

    return load
