"""The installation's status: the full report behind a token (`GET /api/v1/status`) and on
a console page, and a public health check that names nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lawful.auth.models import Role
from lawful.config import Settings
from lawful.store.models import new_id, utcnow
from lawful.store.tasks import Task, TaskStatus
from lawful.worker import health

from ..support.markdown import names_in_column
from .conftest import Web

SYSTEMS = ("hris", "ats", "crm", "contact_us", "contact_eu", "marketing")


def _bearer(web: Web, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {web.api_token(*scopes)}"}


def _fail_a_job(web: Web) -> None:
    with web.platform.sessions() as session:
        session.add(Task(id=new_id(), kind="retention.sweep", payload={},
                         status=TaskStatus.failed, attempts=5, max_attempts=5,
                         run_after=utcnow(), last_error="the retention sweep did not finish"))  # fmt: skip
        session.commit()


def test_the_status_api_needs_a_token_with_the_status_scope(web: Web) -> None:
    assert web.client.get("/api/v1/status").status_code == 401
    wrong = web.client.get("/api/v1/status", headers=_bearer(web, "audit:read"))
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "insufficient_scope"


def test_every_component_ok_answers_200(make_web: Callable[..., Web], company_files: Path) -> None:
    web = make_web(datastore_dir=company_files)
    response = web.client.get("/api/v1/status", headers=_bearer(web, "status:read"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    components = {c["component"]: c for c in body["components"]}
    assert components["store"]["ok"]
    assert components["broker"]["status"] == "in-process"
    assert {f"datastore {system}" for system in SYSTEMS} <= set(components)


def test_a_datastore_whose_file_is_missing_makes_the_status_503(
    make_web: Callable[..., Web], tmp_path: Path
) -> None:
    web = make_web(datastore_dir=tmp_path / "no-files-here")
    response = web.client.get("/api/v1/status", headers=_bearer(web, "status:read"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    crm = next(c for c in body["components"] if c["component"] == "datastore crm")
    assert (crm["status"], crm["ok"]) == ("unreachable", False)
    assert next(c for c in body["components"] if c["component"] == "store")["ok"]


def test_the_status_api_is_documented_under_system(web: Web) -> None:
    operation = web.client.get("/openapi.json").json()["paths"]["/api/v1/status"]["get"]
    assert operation["tags"] == ["system"]
    assert {"200", "503"} <= set(operation["responses"])
    assert operation["security"]  # the bearer token


def test_the_health_check_summarises_jobs_and_broker_without_naming_anything(
    make_web: Callable[..., Web],
) -> None:
    web = make_web(broker_url="redis://127.0.0.1:1/0")  # no broker listens there
    _fail_a_job(web)
    response = web.client.get("/healthz")
    assert response.status_code == 200  # the web app itself works
    body = response.json()
    assert (body["jobs"], body["broker"]) == ("failed", "unreachable")
    assert set(body) == {"status", "version", "jobs", "broker"}
    for name in (*SYSTEMS, "redis", "127.0.0.1", "sqlite", "postgresql", "retention"):
        assert name not in response.text


def test_the_health_check_says_jobs_run_in_process_without_a_broker(web: Web) -> None:
    body = web.client.get("/healthz").json()
    assert (body["status"], body["jobs"], body["broker"]) == ("ok", "ok", "in-process")


def test_signed_in_staff_see_the_status_table(web: Web) -> None:
    auditor = web.signed_in(Role.auditor)
    page = auditor.get("/admin/status")
    assert page.status_code == 200
    assert "Something needs a look" in page.text  # the example map's files are not there
    assert "datastore crm" in page.text
    assert "in-process" in page.text
    anonymous = web.browser().get("/admin/status", headers={"accept": "text/html"})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/admin/sign-in")


def test_the_worker_guide_documents_every_job_setting_and_the_status_endpoints() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "worker.md").read_text()
    names = [name for name in Settings.model_fields if name.startswith(("job_", "broker_"))]
    assert names
    documented = names_in_column(guide, under="Settings", column="setting")
    assert {f"LAWFUL_{name.upper()}" for name in names} - documented == set()
    for needed in ("GET /api/v1/status", "status:read", "/healthz", "lawful worker", "/admin/jobs"):
        assert needed in guide, needed


def test_the_health_check_asks_the_broker_once_per_ttl_and_refreshes_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([{"status": "unreachable", "error": "OperationalError"}, {"status": "ok"}])
    asked: list[str] = []

    def fake_health(url: str, *, timeout: float) -> dict[str, Any]:
        asked.append(url)
        return next(answers)

    monkeypatch.setattr(health, "broker_health", fake_health)
    now = [0.0]
    probe = health.BrokerProbe(ttl=30, clock=lambda: now[0])
    url = "redis://broker.internal:6379/0"
    assert probe.status(url) == "unreachable"  # the first ask waits for the answer
    now[0] = 10
    assert probe.status(url) == "unreachable"
    assert len(asked) == 1
    now[0] = 31
    assert probe.status(url) == "unreachable"  # the last answer, while a refresh runs
    for _ in range(200):
        if probe.status(url) == "ok":
            break
        time.sleep(0.01)
    assert probe.status(url) == "ok"
    assert len(asked) == 2
    assert probe.status(None) == "in-process"
