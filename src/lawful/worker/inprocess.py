"""The embedded default: tasks run in this process, inline (commands, tests) or on background
threads (the web server, so a page does not wait for an erasure): one thread per lane, so a
rights request's run never waits behind mail or a sweep (`lawful.store.tasks.lane_of`)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence

from lawful.store.tasks import JOBS_LANE, RUNS_LANE
from lawful.worker.runner import TaskRunner

logger = logging.getLogger("lawful.worker")
LANES = (RUNS_LANE, JOBS_LANE)


class _Lane:
    """One background thread and the task ids waiting for it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.waiting: queue.Queue[str | None] = queue.Queue()
        self.thread: threading.Thread | None = None


class InProcessQueue:
    """Hands committed tasks to a `TaskRunner` in this process. Until a runner is bound,
    tasks wait in the store (the poller hands them over later)."""

    def __init__(self, *, background: bool = False) -> None:
        self.background = background
        self.runner: TaskRunner | None = None
        self._lanes = {name: _Lane(name) for name in LANES}
        self._lock = threading.Lock()

    def bind(self, runner: TaskRunner) -> None:
        self.runner = runner

    def dispatch(self, task_ids: Sequence[str], *, lane: str = JOBS_LANE) -> None:
        if not self.background:
            for task_id in task_ids:
                self._run(task_id)
            return
        chosen = self._lanes.get(lane, self._lanes[JOBS_LANE])
        with self._lock:
            if chosen.thread is None or not chosen.thread.is_alive():
                chosen.thread = threading.Thread(
                    target=self._work, args=(chosen,), name=f"lawful-{chosen.name}", daemon=True
                )
                chosen.thread.start()
        for task_id in task_ids:
            chosen.waiting.put(task_id)

    def join(self) -> None:
        """Wait until every task handed over so far has run (background mode)."""
        for lane in self._lanes.values():
            lane.waiting.join()

    def close(self) -> None:
        """Finish the queued tasks, then stop the background threads."""
        with self._lock:
            threads = [(lane, lane.thread) for lane in self._lanes.values()]
            for lane in self._lanes.values():
                lane.thread = None
        for lane, thread in threads:
            if thread is not None:
                lane.waiting.put(None)
                thread.join()

    def _work(self, lane: _Lane) -> None:
        while True:
            item = lane.waiting.get()
            try:
                if item is None:
                    return
                self._run(item)
            finally:
                lane.waiting.task_done()

    def _run(self, task_id: str) -> None:
        if self.runner is None:
            logger.warning("task %s waits: no runner bound yet", task_id)
            return
        try:
            self.runner.run(task_id)
        except Exception as error:  # the store is down: the task stays queued for the poller
            logger.error("task %s not run: %s", task_id, type(error).__name__)
