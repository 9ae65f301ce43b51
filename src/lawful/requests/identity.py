"""The person behind a request: their identity values sealed on the request row (AES-GCM,
bound to the row and the column) with an HMAC blind index each, and opened again only when
a mail is sent, the engine runs, or staff look."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from anyascii import anyascii

from lawful.datamap.models import DataMap
from lawful.engine.identity import Identity, identity_types, normalise_identity
from lawful.requests.models import RequestNameToken, RightsRequest
from lawful.store.crypto import Keyring

_SPACES = re.compile(r"\s+")
_WORD_SPLIT = re.compile(r"[\W_]+")
MAX_NAME_TOKENS = 20


@dataclass(frozen=True)
class PersonIdentity:
    """What the person told us about themselves (normalised at intake)."""

    email: str
    phone: str | None = None
    name: str | None = None
    address: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)  # customer_id, … (map types)


def folded(text: str) -> str:
    """For blind indexes and matching: NFKC, case-folded, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _context(request: RightsRequest, column: str) -> str:
    return f"rights_request.{column}:{request.id}"


def seal_identity(keyring: Keyring, request: RightsRequest, person: PersonIdentity) -> None:
    """Write every value sealed and indexed; the request must already have its id."""
    request.email_sealed = keyring.encrypt(
        person.email.encode(), context=_context(request, "email")
    )
    request.email_index = keyring.index(f"email:{person.email}")
    for column, value in (("phone", person.phone), ("name", person.name)):
        sealed = (
            keyring.encrypt(value.encode(), context=_context(request, column)) if value else None
        )
        setattr(request, f"{column}_sealed", sealed)
        setattr(
            request,
            f"{column}_index",
            keyring.index(f"{column}:{folded(value)}") if value else None,
        )
    write_name_tokens(keyring, request, person.name)
    if person.address:
        request.address_sealed = keyring.encrypt(
            person.address.encode(), context=_context(request, "address")
        )
        request.address_index = keyring.index(f"address:{folded(person.address)}")
    if person.identifiers:
        request.identifiers_sealed = keyring.encrypt_json(
            person.identifiers, context=_context(request, "identifiers")
        )


def name_tokens(text: str) -> list[str]:
    """The words of a name as staff would type them on any keyboard: transliterated to
    ASCII ("Ørjan" → "orjan", "Ελένη" → "eleni", accents dropped), case-folded, split at
    anything not a letter or digit; each once."""
    words = _WORD_SPLIT.split(anyascii(unicodedata.normalize("NFKC", text)).casefold())
    return list(dict.fromkeys(w for w in words if w))[:MAX_NAME_TOKENS]


def name_token_index(keyring: Keyring, token: str) -> str:
    return keyring.index(f"name-token:{token}")


def write_name_tokens(keyring: Keyring, request: RightsRequest, name: str | None) -> None:
    """Replace the request's name words (blind indexes) with those of `name`."""
    indexes = [name_token_index(keyring, t) for t in name_tokens(name)] if name else []
    request.name_tokens = [RequestNameToken(token_index=i) for i in indexes]
    request.name_tokens_ready = True


def open_identity(keyring: Keyring, request: RightsRequest) -> PersonIdentity:
    def text(column: str) -> str | None:
        sealed: bytes | None = getattr(request, f"{column}_sealed")
        if sealed is None:
            return None
        return keyring.decrypt(sealed, context=_context(request, column)).decode()

    identifiers: dict[str, str] = {}
    if request.identifiers_sealed is not None:
        identifiers = keyring.decrypt_json(
            request.identifiers_sealed, context=_context(request, "identifiers")
        )
    return PersonIdentity(
        email=text("email") or "",
        phone=text("phone"),
        name=text("name"),
        address=text("address"),
        identifiers=identifiers,
    )


def seal_details(keyring: Keyring, request: RightsRequest, details: dict[str, object]) -> None:
    """The person's own words (message, corrections, purpose objected to), sealed."""
    request.details_sealed = (
        keyring.encrypt_json(details, context=_context(request, "details")) if details else None
    )


def open_details(keyring: Keyring, request: RightsRequest) -> dict[str, object]:
    if request.details_sealed is None:
        return {}
    found: dict[str, object] = keyring.decrypt_json(
        request.details_sealed, context=_context(request, "details")
    )
    return found


def engine_identity(person: PersonIdentity, datamap: DataMap) -> Identity:
    """The values the engine searches by: those of identity types the map declares."""
    declared = identity_types(datamap)
    pairs = [(kind, value) for kind, value in person.identifiers.items() if kind in declared]
    if "email" in declared:
        pairs.append(("email", person.email))
    if person.phone and "phone" in declared:
        pairs.append(("phone", person.phone))
    return normalise_identity(pairs, datamap=datamap)
