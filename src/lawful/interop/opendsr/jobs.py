"""OpenDSR's job kinds, for the worker's handler (`lawful.worker.jobs`): a client's request
run by the engine, each signed status callback, and polling a processor we sent to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lawful.config import Settings
from lawful.interop.opendsr.callbacks import CALLBACK_JOB, send_callback
from lawful.interop.opendsr.controller import POLL_JOB
from lawful.interop.opendsr.following import poll
from lawful.interop.opendsr.processing import run
from lawful.interop.opendsr.service import RUN_JOB
from lawful.interop.opendsr.signing import signer_for
from lawful.store.tasks import Payload

if TYPE_CHECKING:
    from lawful.requests.tasks import RequestsRuntime


def job_bodies(
    runtime: RequestsRuntime, settings: Settings
) -> dict[str, Callable[[Payload], None]]:
    def callback(payload: Payload) -> None:
        with runtime.http() as client:
            send_callback(signer_for(settings), client, payload)

    return {
        RUN_JOB: lambda payload: run(runtime.engine, runtime.ctx.jobs, payload),
        CALLBACK_JOB: callback,
        POLL_JOB: lambda payload: poll(runtime, payload),
    }
