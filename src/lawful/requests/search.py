"""The queue's search box: one text that may be a reference (or its first characters), an
email address, or a name. Emails and names are never stored in clear, so the text is turned
into the blind indexes the store holds (`identity.py`) and matched against those."""

from __future__ import annotations

import re

from lawful.requests.errors import InvalidInputError
from lawful.requests.identity import MAX_NAME_TOKENS, name_token_index, name_tokens
from lawful.requests.repository import Search
from lawful.store.crypto import Keyring

SEARCH_MAX = 200
REFERENCE_PREFIX_MIN = 4  # shorter starts match too much to be a search by reference
_REFERENCE = re.compile(r"[A-Z2-7]{1,16}")  # base32, as `service._new_reference` makes them


def parse_search(keyring: Keyring, text: str) -> Search | None:
    """What to look for; None for an empty box. InvalidInputError, saying how to search, for
    a text no reference, address or name could be."""
    wanted = text.strip()
    if not wanted:
        return None
    if len(wanted) > SEARCH_MAX:
        raise InvalidInputError(
            f"The search is {len(wanted)} characters long; search by a reference, an email "
            f"address or a name of at most {SEARCH_MAX} characters.",
            field="q",
        )
    if "\x00" in wanted:
        raise InvalidInputError(
            "The search holds a control character (NUL); type the reference, email address "
            "or name again.",
            field="q",
        )
    if "@" in wanted:
        # Stored as given at intake, trimmed and lower-cased (`normalise_email`).
        return Search(email_index=keyring.index(f"email:{wanted.lower()}"))
    reference = wanted.upper()
    if len(wanted.split()) > MAX_NAME_TOKENS:
        raise InvalidInputError(
            f"The search has {len(wanted.split())} words; a name has at most "
            f"{MAX_NAME_TOKENS}: search by fewer.",
            field="q",
        )
    words = name_tokens(wanted)
    is_reference = bool(_REFERENCE.fullmatch(reference))
    return Search(
        reference=reference if is_reference else None,
        reference_prefix=is_reference and len(reference) >= REFERENCE_PREFIX_MIN,
        name_indexes=[name_token_index(keyring, w) for w in words],
    )
