"""Scheduled sweeps: `sweep_once`, the body of a `retention.sweep` job (queued every
`retention_interval_hours` by the worker's poller, `lawful.worker.poller`), and the loop of
`lawful retention schedule` for installations that run sweeps as a command.

Deliberately small: one sweep at a time, in one thread; a failed sweep is logged and tried
again at the next tick (an interrupted one is resumed by it). Several servers sharing one
store would each sweep: run the schedule in one process only (or use cron and
`lawful retention run`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores, registry_factory
from lawful.retention.requests_link import open_request_identities
from lawful.retention.sweep import SweepReport, run_sweep
from lawful.store.crypto import Keyring

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


log = logging.getLogger("lawful.retention")
OPERATOR = "scheduler"
SWEEP_TASK = "retention.sweep"  # the job kind: scheduled by the poller, or queued by staff


def sweep_once(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    keyring: Keyring,
    base_dir: Path,
    environ: Mapping[str, str],
    batch_size: int,
    today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    operator: str = OPERATOR,
) -> SweepReport:
    """One sweep, as of today, with fresh connectors: scheduled, or asked for by `operator`
    (a member of staff who pressed "Run now": named in the sweep's evidence)."""
    factory = registry_factory(datamap, base_dir=base_dir, environ=environ)
    with Datastores(factory) as datastores:
        return run_sweep(
            sessions,
            datamap=datamap,
            datastores=datastores,
            keyring=keyring,
            as_of=today(),
            operator=operator,
            open_requests=open_request_identities(keyring=keyring, datamap=datamap),
            batch_size=batch_size,
        )


def run_schedule(
    sweep: Callable[[], SweepReport], *, interval_hours: float, stop: threading.Event
) -> int:
    """Sweep now, then every `interval_hours`, until `stop` is set. Returns sweeps run."""
    runs = 0
    while not stop.is_set():
        try:
            report = sweep()
            runs += 1
            acted = sum(o.get("acted", 0) for o in report.outcomes)
            log.info(
                "retention sweep %s: %s (%d records)",
                report.job.job_id,
                report.job.status.value,
                acted,
            )
        except Exception:  # a failed sweep must not end the schedule: the next tick resumes it
            log.exception("retention sweep failed; it is resumed at the next tick")
        stop.wait(interval_hours * 3600)
    return runs
