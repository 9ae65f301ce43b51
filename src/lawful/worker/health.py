"""The jobs' part of the public health check (`/healthz`): cheap enough for a load balancer
asking every few seconds, and telling an outsider nothing to use — no system, host or error
names (those are in `GET /api/v1/status`, behind a token)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from lawful.worker import repository
from lawful.worker.broker import broker_health


def job_health(session: Session) -> str:
    """Whether a job failed and waits for staff to retry it: "failed", else "ok"."""
    return "failed" if repository.any_failed(session) else "ok"


class BrokerProbe:
    """Whether the broker answers ("ok", "unreachable"; "in-process" when there is none).
    A down broker takes seconds to say so, so only the first ask waits for the answer; later
    ones get the last answer, refreshed in the background once it is `ttl` seconds old."""

    def __init__(
        self,
        *,
        ttl: float = 30.0,
        timeout: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.timeout, self.clock = ttl, timeout, clock
        self._lock = threading.Lock()
        self._last: tuple[str, float, str] | None = None  # url, when, answer
        self._refreshing = False

    def status(self, url: str | None) -> str:
        if not url:
            return "in-process"
        with self._lock:
            last = self._last
            if last is not None and last[0] == url:
                if self.clock() - last[1] >= self.ttl and not self._refreshing:
                    self._refreshing = True
                    threading.Thread(
                        target=self._probe, args=(url,), name="lawful-broker-probe", daemon=True
                    ).start()
                return last[2]
        return self._probe(url)

    def _probe(self, url: str) -> str:
        answer = (
            "ok" if broker_health(url, timeout=self.timeout)["status"] == "ok" else "unreachable"
        )
        with self._lock:
            self._last, self._refreshing = (url, self.clock(), answer), False
        return answer
