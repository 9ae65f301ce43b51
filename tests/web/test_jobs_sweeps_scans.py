"""The Jobs page shows retention sweeps (status, progress, what failed) and discovery scans
(outcome, what was read), with a way to start them again for those who may."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.discovery.models import RunOutcome, ScanRun
from lawful.store.models import utcnow
from lawful.store.tasks import Task

from .conftest import Web, csrf


def test_the_jobs_page_shows_a_sweep_with_its_progress_and_the_last_scans(
    make_web: Callable[..., Web], company_files: Path, tmp_path: Path
) -> None:
    company = shutil.copytree(company_files, tmp_path / "company")
    web = make_web(datastore_dir=company)
    with web.platform.sessions() as session:
        session.add(ScanRun(system="crm", outcome=RunOutcome.unreachable, requested_by="schedule",
                            started_at=utcnow() - timedelta(minutes=2), finished_at=utcnow()))  # fmt: skip
        session.commit()
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/retention")
    officer.post("/admin/retention/run", data={"csrf_token": csrf(page)})
    web.settle()
    jobs = officer.get("/admin/jobs")
    assert jobs.status_code == 200
    assert 'Retention sweep<br><code class="muted">retention.sweep</code>' in jobs.text
    sweeps = jobs.text[
        jobs.text.index('<table id="sweeps">') : jobs.text.index('<table id="scans">')
    ]
    assert '<span class="badge ok">done</span>' in sweeps
    done, total = map(int, re.findall(r"(\d+) of (\d+) steps", sweeps)[0])
    assert done == total > 0
    scans = jobs.text[jobs.text.index('<table id="scans">') :]
    assert '<a href="/admin/discovery/crm"><code>crm</code></a>' in scans
    assert "unreachable" in scans
    assert 'action="/admin/discovery/crm/scan"' in scans
    again = officer.post("/admin/discovery/crm/scan", data={"csrf_token": csrf(jobs)})
    assert again.status_code == 303
    with web.platform.sessions() as session:
        assert session.scalars(select(Task.kind).where(Task.kind == "discovery.scan")).all()
    analyst = web.signed_in(Role.analyst).get("/admin/jobs")
    assert 'action="/admin/discovery/crm/scan"' not in analyst.text  # officers start scans
    assert "run one now" not in analyst.text
