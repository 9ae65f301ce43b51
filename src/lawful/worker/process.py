"""`lawful worker`: a Celery worker process that runs Lawful's tasks.

Each process consumes the `lawful` queue with a small thread pool, claims each task in the
store before running it (`lawful.worker.runner`), and runs the poller beside it (retries,
lapsed leases, lost messages, scheduled sweeps, its own heartbeat). Stop it with SIGTERM
(Celery's warm shutdown finishes the tasks under way); a process killed outright loses
nothing: its tasks' leases lapse and another worker resumes them.
"""

from __future__ import annotations

from lawful.config import Settings, SettingsError
from lawful.http.platform import Platform
from lawful.worker.broker import QUEUES, RUN_TASK, CeleryDispatcher
from lawful.worker.jobs import (
    kept_datastores,
    platform_poller,
    platform_runner,
    polling,
    worker_name,
)


def require_broker(settings: Settings) -> None:
    """A worker needs a broker: say so before the platform is opened."""
    if not settings.broker_url:
        raise SettingsError(
            "LAWFUL_BROKER_URL is not set: without a broker, jobs run inside `lawful serve` "
            "and no worker is needed. Set it to e.g. redis://127.0.0.1:6379/0 or "
            "amqp://guest@127.0.0.1:5672//"
        )


def run_worker(platform: Platform, *, concurrency: int, name: str | None = None) -> None:
    """Run until stopped: consume task ids from the broker and run them (the platform is
    opened by the caller, `lawful worker`, with `lawful.platform.open_platform`)."""
    name = name or worker_name()
    settings = platform.settings
    with kept_datastores(platform) as kept:
        dispatcher = platform.jobs
        assert isinstance(dispatcher, CeleryDispatcher)
        runner = platform_runner(platform, name=name, kept=kept)

        def run_task(task_id: str) -> None:
            runner.run(task_id)

        celery = dispatcher.app
        celery.task(name=RUN_TASK, ignore_result=True)(run_task)
        poller = platform_poller(platform, runner, name=name)
        with polling(poller, interval=settings.job_poll_seconds):
            celery.worker_main(
                [
                    "worker",
                    "--pool=threads",
                    f"--concurrency={concurrency}",
                    f"--hostname=lawful-{name.replace(':', '-')}",
                    f"--queues={','.join(QUEUES.values())}",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ]
            )
