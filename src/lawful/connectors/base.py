"""The connector protocol: one interface over every store Lawful reads and changes.

Connectors take and return plain data (dicts of column → value). Table and column names
come only from the validated data map; values always travel as bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

Row = dict[str, Any]


class ConnectorError(Exception):
    """A store could not do what was asked. `retryable` marks outages and time-outs."""

    def __init__(
        self, message: str, *, system: str = "", dataset: str = "", retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.system = system
        self.dataset = dataset
        self.retryable = retryable

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                f"system `{self.system}`" if self.system else "",
                f"dataset `{self.dataset}`" if self.dataset else "",
            )
            if p
        )
        return f"{where}: {self.args[0]}" if where else str(self.args[0])


@dataclass(frozen=True)
class ConnectionSpec:
    """What a connector needs to open: resolved from the map's `connection` and the environment."""

    system: str
    type: str
    url: str | None = None  # from the env var named by `url_env`; holds any secret
    path: Path | None = None  # for file connectors, resolved against the map's data folder
    options: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """One open connection to one system. Every method raises ConnectorError on failure."""

    def test_connection(self) -> None:
        """Check the store answers (and, for SQL, that the credentials work)."""

    def fetch(
        self, table: str, *, where: Mapping[str, Sequence[Any]], columns: Sequence[str]
    ) -> list[Row]:
        """Rows whose `field IN values` for ANY of the given fields (values sent in batches)."""

    def update(self, table: str, *, key: str, rows: Sequence[Row]) -> int:
        """Set, for each row, its non-key columns where `key` equals its key value. Returns rows changed."""

    def delete(self, table: str, *, key: str, keys: Sequence[Any]) -> int:
        """Delete the rows whose `key` is in `keys`. Returns rows deleted."""

    def count(self, table: str, *, where: Mapping[str, Sequence[Any]] | None = None) -> int:
        """Count rows, optionally restricted like `fetch`."""

    def scan(
        self, table: str, *, key: str, columns: Sequence[str], after: Any = None, limit: int = 1000
    ) -> list[Row]:
        """Keyset pagination: up to `limit` rows with `key > after`, ordered by `key`."""

    def columns(self, table: str) -> list[str]:
        """The columns the live store has for `table` (to catch a map out of step with the store)."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group changes atomically where the store supports it (a no-op context otherwise)."""

    def close(self) -> None:
        """Release the connection."""


def batched(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Split `values` into slices of at most `size` (for IN lists and executemany)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
