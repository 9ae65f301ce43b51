"""Per-field erasure strategies: what an erased value becomes.

Every strategy is computed once, when the job is planned, from the value read; the job then
writes that result. Re-applying a step therefore writes the same thing again, and a `hash`
is never taken of a hash.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from lawful.datamap.models import DataField, EraseSpec, EraseStrategy
from lawful.engine.redaction import OwnIdentifiers, redact_own
from lawful.store.crypto import Keyring

KEEP = EraseSpec(strategy=EraseStrategy.keep)
NULLIFY = EraseSpec(strategy=EraseStrategy.nullify)
ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606 §2: `.invalid` can never be delivered to


def field_strategy(field: DataField, *, structural: bool) -> EraseSpec:
    """The declared strategy; undeclared fields are nulled, except keys and references
    (`structural`), which hold the rows together and identify no one once the rest is gone."""
    spec = field.erase_spec()
    if spec is not None:
        return spec
    return KEEP if structural else NULLIFY


def erased_value(
    spec: EraseSpec,
    value: Any,
    *,
    category: str,
    keyring: Keyring,
    own: OwnIdentifiers | None = None,
) -> Any:
    """The value that replaces `value` under `spec` (`keep` returns it unchanged).

    `redact` removes `own` (the person's identifiers) from a text, or everything found when
    `value: all` is declared or no person is known (a retention sweep anonymises for no one
    in particular, so it leaves no one identifiable).
    """
    if value is None or spec.strategy is EraseStrategy.keep:
        return value
    if spec.strategy is EraseStrategy.redact:
        if not isinstance(value, str):
            return value  # `lawful check` accepts `redact` on text fields only (L015)
        return redact_own(value, own=None if spec.redacts_everything() else own)
    if spec.strategy is EraseStrategy.nullify:
        return None
    if spec.strategy is EraseStrategy.replace_:
        return spec.value
    if spec.strategy is EraseStrategy.hash:
        return keyring.erasure_hash(str(value))
    if spec.strategy is EraseStrategy.random:
        return _random_like(value, category=category)
    return truncate_date(value, to=spec.value or "year")


def _random_like(value: Any, *, category: str) -> Any:
    if isinstance(value, bool | date | datetime):
        return None  # no random date or flag is meaningful: drop it
    if isinstance(value, int):
        return secrets.randbelow(2**31)
    if isinstance(value, float):
        return secrets.randbelow(10**6) / 100
    token = secrets.token_hex(8)
    return (
        f"{token}@{ERASED_EMAIL_DOMAIN}"
        if category.startswith("contact.email")
        else f"erased-{token}"
    )


def truncate_date(value: Any, *, to: str = "year") -> Any:
    """Keep only the year (or year and month, `to="month"`), in the value's own type and
    text format; a value that is no date is dropped."""
    month = to == "month"
    if isinstance(value, datetime):
        return value.replace(
            month=value.month if month else 1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
    if isinstance(value, date):
        return value.replace(month=value.month if month else 1, day=1)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    cut = truncate_date(parsed, to=to)
    if len(value.strip()) == 10:
        return cut.date().isoformat()
    return cut.isoformat(sep="T" if "T" in value else " ")
