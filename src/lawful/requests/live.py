"""A request's changes as they happen, for whoever follows it (the API's server-sent events,
the console): no client polls.

Every change of a request goes through its timeline (`timeline.record`), which notes the
request here; once that transaction commits, whoever waits on the request in this process
is woken at once (a job run by `lawful serve` itself). A change committed by another process
(`lawful worker`, another server process) is seen by reading the request again every
`RECHECK_SECONDS` while the stream is open: one indexed read of two columns.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from lawful.requests.models import RightsRequest
from lawful.requests.states import CLOSED, RequestStatus

logger = logging.getLogger(__name__)
_NOTED = "lawful.requests.changed"
RECHECK_SECONDS = 1.0  # a change made by another process is seen within this
KEEPALIVE_SECONDS = 15.0  # a comment line, so proxies keep an idle stream open
STREAM_SECONDS = 600.0  # then the stream ends; the client opens it again if it still waits

Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class RequestChanges:
    """Who waits on which request, in this process; woken from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, list[Waiter]] = {}

    @contextmanager
    def watch(self, request_id: str) -> Iterator[asyncio.Event]:
        """An event set each time `request_id` changes (a commit) while the block runs."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting.setdefault(request_id, []).append(waiter)
        try:
            yield waiter[1]
        finally:
            with self._lock:
                left = [w for w in self._waiting.get(request_id, []) if w is not waiter]
                if left:
                    self._waiting[request_id] = left
                else:
                    self._waiting.pop(request_id, None)

    def changed(self, request_ids: set[str]) -> None:
        with self._lock:
            waiters = [w for rid in request_ids for w in self._waiting.get(rid, [])]
        for loop, changed in waiters:
            try:
                loop.call_soon_threadsafe(changed.set)
            except RuntimeError:  # that stream's loop has stopped (the server is stopping)
                continue


CHANGES = RequestChanges()


def note_changed(session: Session, request_id: str) -> None:
    """Wake whoever follows `request_id` once this session commits (never on a rollback)."""
    noted: set[str] | None = session.info.get(_NOTED)
    if noted is None:
        noted = session.info[_NOTED] = set()
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_rollback", _rolled_back)
    noted.add(request_id)


def _committed(session: Session) -> None:
    noted: set[str] = session.info.get(_NOTED) or set()
    if noted:
        CHANGES.changed(set(noted))
        noted.clear()


def _rolled_back(session: Session) -> None:
    noted = session.info.get(_NOTED)
    if noted:
        noted.clear()


# --- the stream ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusEvent:
    """What a follower is told: the reference, the status and when it changed. Nothing
    personal."""

    reference: str
    status: RequestStatus
    at: datetime

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def frame(self) -> str:
        data = {"reference": self.reference, "status": self.status.value,
                "at": self.at.isoformat(), "closed": self.closed}  # fmt: skip
        return f"event: status\ndata: {json.dumps(data)}\n\n"


def status_reader(
    sessions: sessionmaker[Session], request_id: str
) -> Callable[[], StatusEvent | None]:
    """Reads the request's status now (None once it is purged)."""
    query = select(RightsRequest.reference, RightsRequest.status, RightsRequest.updated_at).where(
        RightsRequest.id == request_id
    )

    def read() -> StatusEvent | None:
        with sessions() as session:
            row = session.execute(query).first()
        return StatusEvent(row.reference, row.status, row.updated_at) if row else None

    return read


async def status_stream(
    request_id: str,
    read: Callable[[], StatusEvent | None],
    *,
    changes: RequestChanges = CHANGES,
    recheck: float = RECHECK_SECONDS,
) -> AsyncIterator[str]:
    """Server-sent events: the status now, then each new one, until the request is closed
    (its last event says `closed: true`), purged, or the stream has run STREAM_SECONDS."""
    loop = asyncio.get_running_loop()
    ends, quiet_since = loop.time() + STREAM_SECONDS, loop.time()
    last: StatusEvent | None = None
    with changes.watch(request_id) as changed:
        while loop.time() < ends:
            changed.clear()  # before reading: a commit after the read sets it again
            try:
                now = await run_in_threadpool(read)
            except Exception as error:  # the store out of reach: end cleanly, to be reopened
                logger.warning("request events: status not read (%s)", type(error).__name__)
                return
            if now is None:
                return
            if last is None or now.status is not last.status:
                yield now.frame()
                last, quiet_since = now, loop.time()
            if now.closed:
                return
            if loop.time() - quiet_since >= KEEPALIVE_SECONDS:
                yield ": still open\n\n"
                quiet_since = loop.time()
            try:
                await asyncio.wait_for(changed.wait(), timeout=recheck)
            except TimeoutError:
                continue
