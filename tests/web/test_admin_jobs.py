"""The Jobs page and the Retry of a failed job: staff see a failure, on the Jobs page and on
its request, fix the cause and run the job again; auditors only look."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.requests.intake import Intake
from lawful.requests.models import RightsRequest
from lawful.requests.notify import EXECUTE_JOB
from lawful.requests.service import approve_request, confirm_identity, submit_request
from lawful.requests.states import RequestStatus
from lawful.store import tasks
from lawful.store.audit import AuditEntry
from lawful.store.models import new_id, utcnow
from lawful.store.tasks import Task, TaskStatus

from .conftest import Web, csrf

SWEEP_ERROR = "the retention sweep did not finish; it resumes"
PERSON = "bo@people.example"


def _failed_task(web: Web, *, kind: str = "retention.sweep", error: str = SWEEP_ERROR) -> str:
    """A task that used up its attempts, as the runner leaves it."""
    with web.platform.sessions() as session:
        task = Task(id=new_id(), kind=kind, payload={}, status=TaskStatus.failed, attempts=5,
                    max_attempts=5, run_after=utcnow(), worker="web-1:4242", last_error=error,
                    started_at=utcnow(), finished_at=utcnow())  # fmt: skip
        session.add(task)
        session.commit()
        return task.id


def _task(web: Web, task_id: str) -> Task:
    with web.platform.sessions() as session:
        found = session.get(Task, task_id)
        assert found is not None
        return found


def _approved_access(web: Web) -> str:
    """An access request, confirmed and approved: its run is handed over at the commit."""
    ctx = web.platform.requests
    with web.platform.sessions() as session:
        intake = Intake(request_type="access", email=PERSON, country="FR")
        reference = submit_request(session, ctx=ctx, intake=intake).request.reference
        confirm_identity(session, ctx=ctx, reference=reference, actor="test")
        approve_request(session, ctx=ctx, reference=reference, actor="test")
        session.commit()
    web.settle()
    return reference


def _execution_of(web: Web, reference: str) -> Task:
    with web.platform.sessions() as session:
        return session.scalars(
            select(Task)
            .join(RightsRequest, RightsRequest.id == Task.request_id)
            .where(RightsRequest.reference == reference, Task.kind == EXECUTE_JOB)
        ).one()


def _status_of(web: Web, reference: str) -> RequestStatus:
    with web.platform.sessions() as session:
        query = select(RightsRequest.status).where(RightsRequest.reference == reference)
        return session.scalars(query).one()


def test_a_run_that_failed_is_shown_to_staff_and_their_retry_completes_the_request(
    make_web: Callable[..., Web],
    company_files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(tasks.ATTEMPTS, EXECUTE_JOB, 1)  # staff see it after the first failure
    stores = tmp_path / "stores"
    stores.mkdir()  # the datastores' files are missing: every run fails
    web = make_web(datastore_dir=stores)
    reference = _approved_access(web)
    failed = _execution_of(web, reference)
    assert failed.status is TaskStatus.failed
    analyst = web.signed_in(Role.analyst)

    jobs = analyst.get("/admin/jobs?status=failed")
    assert jobs.status_code == 200
    assert EXECUTE_JOB in jobs.text
    assert failed.last_error is not None
    assert failed.last_error in jobs.text
    assert f'href="/admin/requests/{reference}"' in jobs.text
    assert "1 / 1" in jobs.text  # attempts / max
    on_request = analyst.get(f"/admin/requests/{reference}")
    assert "Jobs that did not go through" in on_request.text
    assert f'action="/admin/jobs/{failed.id}/retry"' in on_request.text

    shutil.copytree(company_files, stores, dirs_exist_ok=True)  # the datastores are back
    retried = analyst.post(
        f"/admin/jobs/{failed.id}/retry", data={"csrf_token": csrf(on_request), "back": "request"}
    )
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/admin/requests/{reference}"
    web.settle()
    again = _task(web, failed.id)
    assert again.status is TaskStatus.done
    assert again.attempts == 1  # all its attempts were given back
    assert _status_of(web, reference) is RequestStatus.completed
    after = analyst.get(f"/admin/requests/{reference}").text
    assert "Jobs that did not go through" not in after
    assert (
        after.index("data stores: gave up")
        < after.index("data stores: sent off again")
        < after.index("Completed: ")
    )
    with web.platform.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "task_retried")).one()
    assert entry.actor.startswith("staff:")
    assert (entry.subject_type, entry.subject_id) == ("task", failed.id)
    assert "last_error" not in entry.details  # errors stay in the erasable task row
    assert entry.details["kind"] == EXECUTE_JOB
    assert PERSON not in str(entry.details)


def test_the_jobs_page_lists_failed_jobs_first_and_filters_by_status(web: Web) -> None:
    failed = _failed_task(web)
    with web.platform.sessions() as session:
        session.add(Task(id=new_id(), kind="requests.housekeeping", payload={},
                         status=TaskStatus.done, attempts=1, max_attempts=5, run_after=utcnow(),
                         finished_at=utcnow()))  # fmt: skip
        session.commit()
    auditor = web.signed_in(Role.auditor)
    page = auditor.get("/admin/jobs").text
    assert page.index("retention.sweep") < page.index("requests.housekeeping")
    assert SWEEP_ERROR in page
    assert "web-1:4242" in page
    assert 'href="/admin/jobs"' in page  # the menu entry
    assert "requests.housekeeping" not in auditor.get("/admin/jobs?status=failed").text
    assert "retention.sweep" not in auditor.get("/admin/jobs?status=done").text
    assert f"/admin/jobs/{failed}/retry" not in page  # read-only: no Retry button


def test_an_auditor_may_not_retry_a_job(web: Web) -> None:
    task_id = _failed_task(web)
    auditor = web.signed_in(Role.auditor)
    token = csrf(auditor.get("/admin/audit"))
    refused = auditor.post(f"/admin/jobs/{task_id}/retry", data={"csrf_token": token})
    assert refused.status_code == 403
    assert _task(web, task_id).status is TaskStatus.failed


def test_a_retry_without_the_forms_token_is_refused(web: Web) -> None:
    task_id = _failed_task(web)
    analyst = web.signed_in(Role.analyst)
    refused = analyst.post(f"/admin/jobs/{task_id}/retry", data={})
    assert refused.status_code == 403
    assert _task(web, task_id).status is TaskStatus.failed
    with web.platform.sessions() as session:
        assert (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "task_retried")).all()
            == []
        )


def test_only_a_failed_job_can_be_retried(web: Web) -> None:
    task_id = _failed_task(web)
    with web.platform.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        task.status = TaskStatus.retrying
        session.commit()
    analyst = web.signed_in(Role.analyst)
    page = analyst.get("/admin/jobs")
    refused = analyst.post(f"/admin/jobs/{task_id}/retry", data={"csrf_token": csrf(page)})
    assert refused.status_code == 409
    assert "Only a failed job can be retried" in refused.text
    missing = analyst.post(f"/admin/jobs/{new_id()}/retry", data={"csrf_token": csrf(page)})
    assert missing.status_code == 404
