"""The markers' errors, each with a message a person can act on."""

from __future__ import annotations

from lawful.errors import DomainError


class UnknownDatasetError(DomainError):
    http_status = 422
    code = "unknown_dataset"

    def __init__(self, dataset: str, known: list[str]) -> None:
        super().__init__(
            f"the data map has no dataset {dataset[:100]!r}; use one of: {', '.join(known)}",
            field="dataset",
        )
