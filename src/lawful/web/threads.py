"""Enough threads for the synchronous routes that a full connection pool cannot stall them.

A synchronous route takes a thread three times (its dependencies, its body, the checking of
its answer) and holds its database connection in between; the commit that gives the
connection back runs after the answer is checked. With AnyIO's default of 40 threads and a
pool of 15 connections, fifty requests at once could leave every thread waiting for a
connection while every connection waited for a thread to check its answer: nothing moved
until the pool gave up 30 s later and answered 500 (issue 19, found by `bench/shop.py`).
A thread waiting for a connection holds nothing else, so with far more threads than
requests arrive at once, a request holding a connection always finds a thread to finish.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from anyio import to_thread

if TYPE_CHECKING:
    from lawful.http.platform import Platform

THREADS = 400  # idle ones cost a little memory; a stall costs every request 30 s


@contextmanager
def enough_threads(platform: Platform) -> Iterator[None]:
    """A service of the app's shell (`lawful.web.routes`): the worker threads of synchronous routes, raised
    from AnyIO's default while the app runs."""
    limiter = to_thread.current_default_thread_limiter()
    before = limiter.total_tokens
    limiter.total_tokens = max(before, THREADS)
    try:
        yield
    finally:
        limiter.total_tokens = before
