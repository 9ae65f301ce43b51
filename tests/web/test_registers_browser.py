"""The complaints form in real Chromium: an officer enters an authority's inquiry, is told
what to fix when the authority is missing, links the request it is about, adds a note and
answers it; a hostile subject is shown as text, never run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect, sync_playwright
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.platform import RunningPlatform
from lawful.requests.intake import Intake
from lawful.requests.service import submit_request
from lawful.store.audit import AuditEntry
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import EXAMPLE_MAP, KEY, PASSWORD

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
TIMEOUT_MS = 15_000
HOSTILE = "<img src=x onerror=alert(1)> Late access"


@pytest.fixture
def served(
    platform_store_template: Path, tmp_path: Path, example_map: LoadedMap
) -> Iterator[tuple[str, RunningPlatform, str]]:
    shutil.copy(platform_store_template, tmp_path / "platform.db")
    settings = Settings(map_path=EXAMPLE_MAP, data_dir=tmp_path / "data", encryption_key=KEY,
                        database_url=f"sqlite:///{tmp_path / 'platform.db'}", smtp_host=None)  # fmt: skip
    app = create_app(settings, loaded=example_map)
    with serve(app, free_port()) as url:
        platform: RunningPlatform = app.state.platform
        with platform.sessions() as session:
            create_user(session, keyring=platform.keyring, email="dpo@staff.example",
                        name="Dana Officer", role=Role.privacy_officer, password=PASSWORD,
                        actor="test")  # fmt: skip
            intake = Intake(request_type="access", email="eleni@people.example", country="GR")
            reference = submit_request(
                session, ctx=platform.requests, intake=intake
            ).request.reference
            session.commit()
        yield url, platform, reference


def test_an_officer_enters_an_inquiry_and_answers_it(
    served: tuple[str, RunningPlatform, str],
) -> None:
    url, platform, linked = served
    with ThreadPoolExecutor(max_workers=1) as thread:  # Playwright's sync API: no asyncio loop
        thread.submit(_enter_and_answer, url, linked).result()
    with platform.sessions() as session:
        actions = [e.action for e in session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "complaint").order_by(AuditEntry.seq))]  # fmt: skip
    assert actions == ["complaint.received", "complaint.note_added", "complaint.updated"]


def _enter_and_answer(url: str, linked: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_context(base_url=url).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        dialogs: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto("/admin/sign-in")
        page.fill("#email", "dpo@staff.example")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Complaints").click()
        page.get_by_role("link", name="Enter one received").click()
        _enter(page, linked)
        page.fill("#note", "Sent the HDPA our answer by registered mail.")
        page.get_by_role("button", name="Add note").click()
        expect(page.get_by_text("Sent the HDPA our answer by registered mail.")).to_be_visible()
        page.select_option("#status", "answered")
        page.fill("#outcome", "Access given; the HDPA closed its file.")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Access given; the HDPA closed its file.").first).to_be_visible()
        page.goto("/admin/complaints")
        expect(page.get_by_role("cell", name=HOSTILE)).to_be_visible()
        assert dialogs == []
        browser.close()


def _enter(page: Page, linked: str) -> None:
    page.select_option("#source", "authority")
    page.fill("#subject", HOSTILE)
    page.fill("#linked_requests", linked)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Name the authority that wrote")
    expect(page.locator("#subject")).to_have_value(HOSTILE)
    page.select_option("#authority", "HDPA")
    page.fill("#deadline", "2099-01-31")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOSTILE)
    expect(page.get_by_text("set by HDPA")).to_be_visible()
    expect(page.get_by_role("link", name=linked)).to_be_visible()
