"""Store values as JSON without losing their type (keys and new values in checkpoints), and
as plain text for people (access packages)."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

_TAGS: dict[str, type] = {
    "date": date,
    "datetime": datetime,
    "time": time,
    "decimal": Decimal,
    "uuid": uuid.UUID,
    "bytes": bytes,
}


def encode(value: Any) -> Any:
    """A JSON-safe form of a store value; `decode` gives the same value back."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime | date | time):
        return {"$": type(value).__name__, "v": value.isoformat()}
    if isinstance(value, Decimal | uuid.UUID):
        return {"$": "decimal" if isinstance(value, Decimal) else "uuid", "v": str(value)}
    raise TypeError(f"cannot checkpoint a value of type {type(value).__name__}")


def decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    tag, text = value["$"], value["v"]
    if tag == "bytes":
        return base64.b64decode(text)
    if tag in {"date", "datetime", "time"}:
        return _TAGS[tag].fromisoformat(text)  # type: ignore[attr-defined]
    return _TAGS[tag](text)


def plain(value: Any) -> Any:
    """A value for JSON meant for people: dates in ISO 8601, numbers kept, bytes as base64."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def same(stored: Any, wanted: Any) -> bool:
    """Whether a value read back from a store is the value written (types may differ: a
    store can give 5 for "5", or text for a date)."""
    if stored is None or wanted is None:
        return stored is None and wanted is None
    return bool(stored == wanted) or plain(stored) == plain(wanted) or str(stored) == str(wanted)
