"""The console's Retention page: the plan per rule as `lawful retention plan` computes it,
the schedule, "Run now" queuing one sweep as a job (audited, named in its evidence), and
the last sweeps with their evidence; clicked many times at once, one sweep is queued."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.engine.datastores import Datastores
from lawful.retention.console import plan_lines
from lawful.retention.schedule import SWEEP_TASK
from lawful.store.audit import AuditEntry
from lawful.store.tasks import Task, TaskStatus

from .conftest import Web, csrf
from .test_locks import PARALLEL, make_live, parallel, post, statuses

__all__ = ["make_live"]  # the fixture, used by the parallel test


def _company(company_files: Path, tmp_path: Path) -> Path:
    """A copy of the example company: a sweep changes it."""
    return Path(shutil.copytree(company_files, tmp_path / "company"))


def _entries(web: Web, action: str) -> list[AuditEntry]:
    with web.platform.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _sweep_tasks(web: Web) -> list[Task]:
    with web.platform.sessions() as session:
        return list(session.scalars(select(Task).where(Task.kind == SWEEP_TASK)))


def test_the_page_shows_the_plan_per_rule_and_the_schedule(
    make_web: Callable[..., Web], company_files: Path, tmp_path: Path
) -> None:
    web = make_web(datastore_dir=_company(company_files, tmp_path))
    platform = web.platform
    with platform.sessions() as session, Datastores(platform.connectors) as datastores:
        expected = plan_lines(session, datamap=platform.datamap, datastores=datastores,
                              keyring=platform.keyring, today=datetime.now(UTC).date())  # fmt: skip
        session.rollback()
    assert any(line.due_now for line in expected.lines)  # the example company has work to do
    analyst = web.signed_in(Role.analyst)
    page = analyst.get("/admin/retention")
    assert page.status_code == 200
    rows = re.findall(
        r"<tr>\s*<td><code>([\w.:-]+)</code></td>\s*<td><code>(\w+)</code></td>\s*<td>\w+</td>"
        r"\s*<td>.*?</td>\s*<td class=\"num\">([\d,]+)</td>\s*<td class=\"num\">([\d,]+)</td>",
        page.text,
        re.S,
    )
    shown = {(rule, ds): (int(now.replace(",", "")), int(soon.replace(",", "")))
             for rule, ds, now, soon in rows}  # fmt: skip
    assert shown == {(x.rule, x.dataset): (x.due_now, x.due_soon) for x in expected.lines}
    assert "No scheduled sweep" in page.text
    assert "Run a sweep now" not in page.text  # analysts read; officers run
    refused = analyst.post(
        "/admin/retention/run", data={"csrf_token": csrf(analyst.get("/admin/holds"))}
    )
    assert refused.status_code == 403
    assert _sweep_tasks(web) == []


def test_the_schedule_is_shown_and_an_unreadable_datastore_is_said_plainly(
    make_web: Callable[..., Web], tmp_path: Path
) -> None:
    web = make_web(datastore_dir=tmp_path / "nowhere", retention_interval_hours=24)
    page = web.signed_in(Role.auditor).get("/admin/retention")
    assert page.status_code == 200
    assert "A sweep runs every 24.0 hours" in page.text
    assert re.search(r"the next is due around \d{1,2} \w{3} \d{4}, 00:00 UTC", page.text)
    assert "<strong>cannot apply:</strong> the SQLite file" in page.text
    assert "does not exist or cannot be opened" in page.text
    assert "Traceback" not in page.text


def test_run_now_queues_one_sweep_named_after_the_officer_with_its_evidence(
    make_web: Callable[..., Web], company_files: Path, tmp_path: Path
) -> None:
    web = make_web(datastore_dir=_company(company_files, tmp_path))
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/retention")
    assert "No scheduled sweep" in page.text
    run = officer.post("/admin/retention/run", data={"csrf_token": csrf(page)})
    assert run.status_code == 303
    assert run.headers["location"] == "/admin/retention?queued=new"
    web.settle()
    [task] = _sweep_tasks(web)
    assert task.status is TaskStatus.done
    [asked] = _entries(web, "retention.sweep_requested")
    assert asked.actor.startswith("staff:")
    assert asked.subject_id == task.id
    swept = _entries(web, "retention.swept")
    assert swept
    assert {e.actor for e in swept} == {asked.actor}  # the evidence names who ran it
    after = officer.get("/admin/retention")
    assert "A sweep is queued" not in after.text
    assert re.search(r'<span class="badge ok">done</span>', after.text)
    assert f"planned by {asked.actor}" in after.text
    for entry in swept:
        assert f"rule <code>{entry.subject_id}</code>" in after.text
    again = officer.post("/admin/retention/run", data={"csrf_token": csrf(after)})
    assert again.headers["location"] == "/admin/retention?queued=new"  # the last one ended
    web.settle()
    assert len(_sweep_tasks(web)) == 2


def test_run_now_clicked_many_times_at_once_queues_one_sweep(
    make_live: Callable[..., Web], tmp_path: Path
) -> None:
    web = make_live(datastore_dir=tmp_path / "nowhere")
    email = web.staff(Role.privacy_officer)
    assert web.sign_in(email).status_code == 303
    token = csrf(web.client.get("/admin/holds"))
    answers = parallel(*[post(web, "/admin/retention/run", data={"csrf_token": token})] * PARALLEL)
    assert statuses(answers) == {303: PARALLEL}
    web.settle()
    places = [a.headers["location"] for a in answers]
    tasks = sorted(_sweep_tasks(web), key=lambda t: t.created_at)
    assert tasks
    assert places.count("/admin/retention?queued=new") == len(tasks)
    assert len(_entries(web, "retention.sweep_requested")) == len(tasks)
    # A sweep with nothing to read may end within the burst; a click after it ends may queue
    # the next. Never two at once: each sweep was queued after the one before had ended.
    for before, after in itertools.pairwise(tasks):
        assert before.finished_at is not None
        assert after.created_at >= before.finished_at
    assert len(tasks) < PARALLEL
