"""Retry with exponential backoff for datastores that are down or time out."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from lawful.connectors.base import ConnectorError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; waits `base`, 2×`base`, 4×`base`… (capped), with ±25 % jitter."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        wait = min(self.cap, self.base * 2.0 ** (attempt - 1))
        jitter = random.uniform(0.75, 1.25)  # noqa: S311 — spreads retries, not a secret
        return wait * jitter


def with_retry(
    action: Callable[[], T],
    *,
    policy: RetryPolicy,
    on_retry: Callable[[int, ConnectorError], None] | None = None,
) -> T:
    """Run `action`; on a retryable ConnectorError wait and try again, up to `policy.attempts`.

    The last error is raised as it is, so it still names the system and dataset.
    """
    attempt = 1
    while True:
        try:
            return action()
        except ConnectorError as error:
            if not error.retryable or attempt >= policy.attempts:
                raise
            if on_retry is not None:
                on_retry(attempt, error)
            policy.sleep(policy.delay(attempt))
            attempt += 1
