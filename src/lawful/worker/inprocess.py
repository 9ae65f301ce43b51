"""The embedded default: tasks run in this process, inline (commands, tests) or on one
background thread (the web server, so a page does not wait for an erasure)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence

from lawful.worker.runner import TaskRunner

logger = logging.getLogger("lawful.worker")


class InProcessQueue:
    """Hands committed tasks to a `TaskRunner` in this process. Until a runner is bound,
    tasks wait in the store (the poller hands them over later)."""

    def __init__(self, *, background: bool = False) -> None:
        self.background = background
        self.runner: TaskRunner | None = None
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def bind(self, runner: TaskRunner) -> None:
        self.runner = runner

    def dispatch(self, task_ids: Sequence[str]) -> None:
        if not self.background:
            for task_id in task_ids:
                self._run(task_id)
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="lawful-jobs", daemon=True)
                self._thread.start()
        for task_id in task_ids:
            self._queue.put(task_id)

    def join(self) -> None:
        """Wait until every task handed over so far has run (background mode)."""
        self._queue.join()

    def close(self) -> None:
        """Finish the queued tasks, then stop the background thread."""
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
                self._run(item)
            finally:
                self._queue.task_done()

    def _run(self, task_id: str) -> None:
        if self.runner is None:
            logger.warning("task %s waits: no runner bound yet", task_id)
            return
        try:
            self.runner.run(task_id)
        except Exception as error:  # the store is down: the task stays queued for the poller
            logger.error("task %s not run: %s", task_id, type(error).__name__)
