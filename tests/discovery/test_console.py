"""The console's Discovery pages, after a recorded scan of the helpdesk: every staff role
reads declared vs found, what is new, free text holding personal data and the YAML to add —
never a sampled value; only privacy officers and administrators queue a scan, with the form's
CSRF token."""

from __future__ import annotations

import html as html_lib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from starlette.exceptions import StarletteDeprecationWarning

from lawful.auth import passwords
from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.datamap.loader import load_datamap
from lawful.discovery.service import DISCOVERY_SCAN
from lawful.discovery.tasks import scan_and_record
from lawful.store.audit import AuditEntry
from lawful.store.tasks import Task
from lawful.web.app import create_app

from .conftest import HELPDESK_ROWS, Helpdesk, helpdesk_values

with warnings.catch_warnings():
    # Starlette asks for `httpx2`, not yet a dependency; the client works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: hasher)


@pytest.fixture
def app_client(
    helpdesk: Helpdesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app on the helpdesk's map, after one recorded scan (a column added behind the
    map's back)."""
    for name, value in helpdesk.environ.items():
        monkeypatch.setenv(name, value)
    helpdesk.add_column("recovery_contact", "recovery")
    loaded = load_datamap(helpdesk.map_path)
    scan_and_record(helpdesk.sessions(), datamap=loaded.datamap, base_dir=helpdesk.map_path.parent,
                    environ=helpdesk.environ, requested_by="schedule")  # fmt: skip
    app = create_app(helpdesk.settings(tmp_path), loaded=loaded)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


def signed_in(client: TestClient, role: Role) -> TestClient:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    email = f"{role.value}@staff.example"
    with platform.sessions() as session:
        create_user(session, keyring=platform.keyring, email=email, name=role.value, role=role,
                    password=PASSWORD, actor="test")  # fmt: skip
        session.commit()
    token = csrf(client.get("/admin/sign-in").text)
    response = client.post(
        "/admin/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text
    return client


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no form with a CSRF token"
    return found.group(1)


def scan_tasks(client: TestClient) -> int:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.sessions() as session:
        return session.scalar(select(func.count()).where(Task.kind == DISCOVERY_SCAN)) or 0


def test_an_auditor_reads_declared_vs_found_new_free_text_and_the_yaml_to_add(
    app_client: TestClient,
) -> None:
    client = signed_in(app_client, Role.auditor)
    overview = client.get("/admin/discovery")
    assert overview.status_code == 200
    assert 'href="/admin/discovery/desk"' in overview.text

    page = client.get("/admin/discovery/desk")
    assert page.status_code == 200
    html = page.text
    new = html.split("New personal data since the previous scan")[1].split("<h2>")[0]
    assert "customers.recovery_contact" in new
    assert "tickets.misc" in new
    free_text = html.split("Free text holding personal data")[1].split("<h2>")[0]
    assert "tickets.body" in free_text
    assert "customers.email" not in free_text
    undeclared = html.split("Personal columns not in the map")[1].split("<h2>")[0]
    assert "misc: {category: contact.email, erase: nullify}" in undeclared
    assert "fields:</code> of <code>tickets" in undeclared
    legacy = html_lib.unescape(undeclared.split("Legacy Export.Contact E-mail")[1])
    assert "Its table is in no dataset of the map" in legacy
    assert '"Contact E-mail": {category: contact.email, erase:' in legacy
    assert "Scan now" not in html  # auditors read only
    for n in range(HELPDESK_ROWS):
        for value in helpdesk_values(n).values():
            assert value not in html


def test_an_auditor_cannot_queue_a_scan(app_client: TestClient) -> None:
    client = signed_in(app_client, Role.auditor)
    # The auditor's own session token (the layout's sign-out form): only the role is at fault.
    token = csrf(client.get("/admin/discovery/desk").text)
    response = client.post("/admin/discovery/desk/scan", data={"csrf_token": token})
    assert response.status_code == 403
    assert scan_tasks(client) == 0


def test_a_scan_post_without_its_csrf_token_is_refused(app_client: TestClient) -> None:
    client = signed_in(app_client, Role.privacy_officer)
    response = client.post("/admin/discovery/desk/scan", data={})
    assert response.status_code == 403
    assert scan_tasks(client) == 0


def test_a_privacy_officer_queues_a_scan_of_the_system_and_it_is_audited(
    app_client: TestClient,
) -> None:
    client = signed_in(app_client, Role.privacy_officer)
    page = client.get("/admin/discovery/desk")
    assert "Scan now" in page.text
    response = client.post("/admin/discovery/desk/scan", data={"csrf_token": csrf(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/discovery/desk?queued=1"
    client.app.state.platform.jobs.join()  # type: ignore[attr-defined]
    assert scan_tasks(client) == 1
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.sessions() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"discovery_scan_requested", "discovery_scanned"} <= actions


def test_a_system_not_in_the_map_is_not_found(app_client: TestClient) -> None:
    client = signed_in(app_client, Role.analyst)
    assert client.get("/admin/discovery/nowhere").status_code == 404
