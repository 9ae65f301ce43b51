"""Waiting for what background processes do, with a deadline and a message that says
what was awaited."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

DEADLINE = 30.0  # seconds any awaited outcome may take before the test fails
T = TypeVar("T")


def wait_until(
    check: Callable[[], T | None], what: str | Callable[[], str], *, timeout: float = DEADLINE
) -> T:
    """`check()`'s first truthy value, polled until `timeout`; else the test fails, saying
    `what` was awaited (a callable: the state at that moment)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not within {timeout:.0f} s: {said}")
        time.sleep(0.05)
