"""Jobs of the workflow, run only once the transaction that asked for them has committed.

A service calls `defer_job(session, queue=..., kind=..., payload=...)`; nothing happens until
the session commits, and a rollback drops the job (so no mail goes out about a request that
was never stored). `InProcessQueue` runs jobs in this process — at once, or on a background
thread; any object with `enqueue(kind, payload)` can replace it (a Celery queue, later).
Payloads hold ids only; anything secret in them is sealed with the keyring first.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

Payload = dict[str, Any]
Handler = Callable[[str, Payload], None]
_PENDING = "lawful.requests.pending_jobs"


class JobQueue(Protocol):
    def enqueue(self, kind: str, payload: Payload) -> None:
        """Hand a job over; called only after the commit that produced it."""


def defer_job(session: Session, *, queue: JobQueue, kind: str, payload: Payload) -> None:
    """Enqueue `kind` after `session` commits; forget it if the session rolls back."""
    pending: list[tuple[JobQueue, str, Payload]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _dispatch)
        event.listen(session, "after_rollback", _discard)
    pending.append((queue, kind, payload))


def _dispatch(session: Session) -> None:
    pending: list[tuple[JobQueue, str, Payload]] = session.info.get(_PENDING) or []
    jobs, pending[:] = list(pending), []
    for target, kind, payload in jobs:
        target.enqueue(kind, payload)


def _discard(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        pending.clear()


class InProcessQueue:
    """Runs each job in this process: inline (tests, CLI) or on one background thread
    (the web server, so a page does not wait for an erasure). Failures are logged by kind
    and error class only: messages of drivers and mail servers may hold personal data."""

    def __init__(self, *, background: bool = False) -> None:
        self.background = background
        self._handler: Handler | None = None
        self._queue: queue.Queue[tuple[str, Payload] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def bind(self, handler: Handler) -> None:
        self._handler = handler

    def enqueue(self, kind: str, payload: Payload) -> None:
        if not self.background:
            self._run(kind, payload)
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="lawful-jobs", daemon=True)
                self._thread.start()
        self._queue.put((kind, payload))

    def join(self) -> None:
        """Wait until every job handed over so far has run (background mode)."""
        self._queue.join()

    def close(self) -> None:
        """Finish the queued jobs, then stop the background thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._run(*item)
            finally:
                self._queue.task_done()

    def _run(self, kind: str, payload: Payload) -> None:
        if self._handler is None:
            logger.error("job %s dropped: no handler bound to the queue", kind)
            return
        try:
            self._handler(kind, payload)
        except Exception as error:  # a job must never break the commit that queued it
            logger.error("job %s failed: %s", kind, type(error).__name__)
