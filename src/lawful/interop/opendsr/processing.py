"""The run of a client's OpenDSR request, as a durable task: pending → in_progress, the
engine on that client's datasets only (`scope.client_map`, GDPR Art. 28(3)(a)), then
completed. Erasure is a resumable engine job (retried until every datastore is done);
access and portability build the package the client downloads from `results_url`."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine.access import run_access
from lawful.engine.binding import rows_of
from lawful.engine.datastores import Datastores
from lawful.engine.erasure import preview_erasure
from lawful.engine.identity import Identity, parse_identity
from lawful.engine.jobs import JobReport, create_job, run_job
from lawful.engine.models import Job, JobKind, JobStatus
from lawful.engine.package import write_access_package
from lawful.engine.repository import job_by_id
from lawful.interop.opendsr.callbacks import announce
from lawful.interop.opendsr.models import OpenDsrRequest, OpenDsrStatus
from lawful.interop.opendsr.scope import client_map
from lawful.interop.opendsr.service import IDENTITY_CONTEXT, RESULTS_CONTEXT, _audit
from lawful.requests.execution import EngineEnv
from lawful.store.models import utcnow
from lawful.store.tasks import Dispatcher, Payload, RetryLaterError


def run(env: EngineEnv, jobs: Dispatcher, payload: Payload) -> None:
    row_id = str(payload["opendsr_request_id"])
    with env.sessions() as session:
        row = session.get(OpenDsrRequest, row_id)
        if row is None or row.status in (OpenDsrStatus.cancelled, OpenDsrStatus.completed):
            return
        if row.status is OpenDsrStatus.pending:  # else a retry: resume, told already
            if not _start(session, row):
                return  # cancelled just now
            announce(session, jobs=jobs, row=row)
            session.commit()
        datamap = client_map(env.datamap, row.client)
        identity = _identity(env, datamap, row)
        if row.request_type == "erasure":
            result = _erase(env, session, row, datamap, identity)
        else:
            result = _access(env, session, row, datamap, identity)
        row.status, row.finished_at, row.result = OpenDsrStatus.completed, utcnow(), result
        row.identity_sealed = None  # done: the identities are no longer needed
        _audit(session, row, "opendsr.completed", row.finished_at, {"type": row.request_type})
        announce(session, jobs=jobs, row=row)
        session.commit()


def _start(session: Session, row: OpenDsrRequest) -> bool:
    """pending → in_progress, unless a cancellation won the race."""
    changed = session.execute(
        update(OpenDsrRequest)
        .where(OpenDsrRequest.id == row.id, OpenDsrRequest.status == OpenDsrStatus.pending)
        .values(status=OpenDsrStatus.in_progress)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(row)
    return bool(changed)


def _identity(env: EngineEnv, datamap: DataMap, row: OpenDsrRequest) -> Identity:
    pairs = env.keyring.decrypt_json(row.identity_sealed or b"", context=IDENTITY_CONTEXT)
    known = {kind for d in datamap.datasets.values() for kind in d.identities}
    usable = [f"{kind}={value}" for kind, value in pairs if kind in known]
    return parse_identity(usable, datamap=datamap) if usable else Identity(())


def _access(
    env: EngineEnv, session: Session, row: OpenDsrRequest, datamap: DataMap, identity: Identity
) -> dict[str, Any]:
    with Datastores(env.connectors) as datastores:
        found = run_access(session, datamap=datamap, identity=identity, datastores=datastores,
                           keyring=env.keyring, portability=row.request_type == "portability")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lawful-opendsr-") as folder:
        path = write_access_package(result=found, datamap=datamap, path=Path(folder) / "r.zip")
        row.results_sealed = env.keyring.encrypt(path.read_bytes(), context=RESULTS_CONTEXT)
    row.results_count = found.total()
    datasets = {d.labels.dataset: len(d.rows) for d in found.datasets if d.rows}
    return {"records": found.total(), "datasets": datasets}


def _erase(
    env: EngineEnv, session: Session, row: OpenDsrRequest, datamap: DataMap, identity: Identity
) -> dict[str, Any]:
    """The client's datasets only; no suppression list (that is ours, for our marketing)."""
    with Datastores(env.connectors) as datastores:
        job = job_by_id(session, job_id=row.job_id) if row.job_id else None
        resumed = job is not None
        if job is None:
            job = _new_erasure(env, session, row, datamap, identity, datastores, utcnow().date())
        report: JobReport = run_job(session, job=job, keyring=env.keyring, datastores=datastores,
                                    resumed=resumed)  # fmt: skip
    session.commit()
    if report.status is not JobStatus.done:
        raise RetryLaterError("the erasure did not finish in every datastore; it will resume")
    changed = sum(d.rows_changed for d in report.datasets)
    row.results_count = changed
    return {
        "job": report.job_id,
        "changed": changed,
        "datasets": [d.dataset for d in report.datasets],
    }


def _new_erasure(
    env: EngineEnv,
    session: Session,
    row: OpenDsrRequest,
    datamap: DataMap,
    identity: Identity,
    datastores: Datastores,
    today: date,
) -> Job:
    plan = preview_erasure(session, datamap=datamap, identity=identity, datastores=datastores,
                           keyring=env.keyring, today=today, holds=env.holds)  # fmt: skip
    job = create_job(session, kind=JobKind.erase, identity=identity, keyring=env.keyring,
                     datamap=datamap, changes=plan.changes, summary=plan.summary(),
                     datastores=datastores, request_ref=f"opendsr:{row.id}",
                     found=rows_of(plan.collected) if plan.collected else None)  # fmt: skip
    row.job_id = job.id
    session.commit()
    return job
