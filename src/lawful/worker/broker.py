"""Celery, when `LAWFUL_BROKER_URL` is set: the web app publishes task ids, `lawful worker`
processes consume them. A message carries a task id only; the task row is the truth.

Settings that make a lost worker harmless: a message is acknowledged only after its task
ran (`task_acks_late`), and given back to the broker when the worker process dies
(`task_reject_on_worker_lost`); each worker takes one message at a time.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from celery import Celery
from kombu.connection import Connection

from lawful.config import Settings
from lawful.store.tasks import JOBS_LANE, RUNS_LANE

logger = logging.getLogger("lawful.worker")
QUEUE = "lawful"
RUNS_QUEUE = "lawful.runs"  # rights requests' runs: never behind mail or sweeps
QUEUES = {RUNS_LANE: RUNS_QUEUE, JOBS_LANE: QUEUE}
RUN_TASK = "lawful.run_task"
# Publishing happens after a commit, inside a web request: fail fast, the poller re-publishes.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}


def make_celery(settings: Settings) -> Celery:
    """The Celery app for this installation (no tasks: `lawful worker` registers its own)."""
    app = Celery("lawful", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        # Redis: an unacknowledged message goes back to the queue after this long; the lease
        # (lawful.worker.runner) protects a task still running when that happens.
        broker_transport_options={"visibility_timeout": max(settings.job_republish_seconds, 60)},
        task_publish_retry_policy=PUBLISH_RETRY,
        # A lost broker connection does not stop a task under way: its lease keeps any other
        # worker off it, and its redelivered message finds it claimed (Celery 6's default).
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app


class CeleryDispatcher:
    """Publishes committed task ids to the broker."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def dispatch(self, task_ids: Sequence[str], *, lane: str = JOBS_LANE) -> None:
        """Publish in the lane's queue: a worker consumes both, so a request's run is taken
        by the next free thread however much mail waits."""
        with self.app.producer_or_acquire() as producer:
            for task_id in task_ids:
                self.app.send_task(
                    RUN_TASK,
                    args=[task_id],
                    queue=QUEUES.get(lane, QUEUE),
                    producer=producer,
                    retry=True,
                    retry_policy=PUBLISH_RETRY,
                )

    def waiting(self) -> int | None:
        """Messages waiting in Lawful's queue, or None when the broker does not answer."""
        url = self.app.conf.broker_url
        health = broker_health(str(url), timeout=1.0)
        return int(health["waiting"]) if health["status"] == "ok" else None

    def close(self) -> None:
        self.app.close()


def broker_health(url: str, *, timeout: float = 3.0) -> dict[str, Any]:
    """Whether the broker answers, and how many messages wait in Lawful's queues."""
    try:
        options = {"max_retries": 0}
        with Connection(url, connect_timeout=timeout, transport_options=options) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1, timeout=timeout)
            waiting = sum(_waiting_in(conn, queue) for queue in QUEUES.values())
            return {"status": "ok", "waiting": waiting}
    except Exception as error:  # any failure is "down" here, named by its class
        return {"status": "unreachable", "error": type(error).__name__}


def _waiting_in(conn: Connection, queue: str) -> int:
    """Messages waiting in `queue`; 0 when it does not exist yet (nothing published to it).
    A channel of its own: RabbitMQ closes the channel that asked about a missing queue."""
    channel = conn.channel()  # type: ignore[no-untyped-call]
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except Exception as error:
        if "NOT_FOUND" in str(error):
            return 0
        raise
    finally:
        with contextlib.suppress(Exception):  # already closed by the broker after NOT_FOUND
            channel.close()
