"""The queue in real Chromium, as a privacy officer works it: search by name, assign, leave a
note, approve two requests at once, export the queue and the audit trail — and the audit
trail holds an entry for each change and each export."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.platform import RunningPlatform
from lawful.requests.intake import Intake
from lawful.requests.service import confirm_identity, submit_request
from lawful.store.audit import AuditEntry
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import EXAMPLE_MAP, KEY, PASSWORD

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
TIMEOUT_MS = 15_000


@pytest.fixture
def served(
    platform_store_template: Path, tmp_path: Path, example_map: LoadedMap
) -> Iterator[tuple[str, RunningPlatform, list[str]]]:
    """The app on a port of its own, an officer, and three requests (two named)."""
    shutil.copy(platform_store_template, tmp_path / "platform.db")
    settings = Settings(map_path=EXAMPLE_MAP, data_dir=tmp_path / "data", encryption_key=KEY,
                        database_url=f"sqlite:///{tmp_path / 'platform.db'}", smtp_host=None)  # fmt: skip
    app = create_app(settings, loaded=example_map)
    with serve(app, free_port()) as url:
        platform: RunningPlatform = app.state.platform
        ctx = platform.requests
        references = []
        with platform.sessions() as session:
            create_user(session, keyring=platform.keyring, email="dpo@staff.example",
                        name="Dana Officer", role=Role.privacy_officer, password=PASSWORD,
                        actor="test")  # fmt: skip
            for email, name in (("elodie@people.example", "Élodie Martin"),
                                ("Zoe@People.example", "Zoë Bernard"),
                                ("anon@people.example", None)):  # fmt: skip
                intake = Intake(request_type="erasure", email=email, country="GR", name=name)
                reference = submit_request(session, ctx=ctx, intake=intake).request.reference
                confirm_identity(session, ctx=ctx, reference=reference, actor="test")
                references.append(reference)
            session.commit()
        yield url, platform, references


def test_an_officer_searches_assigns_notes_approves_and_exports(
    served: tuple[str, RunningPlatform, list[str]], tmp_path: Path
) -> None:
    url, platform, references = served
    # Playwright's sync API wants a thread without an asyncio loop (see test_docs_browser).
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(_work_the_queue, url, references, tmp_path).result()
    with platform.sessions() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    for action in ("request.assigned", "request.note_added", "request.approved",
                   "requests.exported", "audit.exported"):  # fmt: skip
        assert action in actions, action
    assert actions.count("request.approved") == 2


def _work_the_queue(url: str, references: list[str], downloads: Path) -> None:
    elodie, zoe, anon = references
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_context(base_url=url, accept_downloads=True).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto("/admin/sign-in")
        page.fill("#email", "dpo@staff.example")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
        _search_by_name(page, elodie, zoe)
        _assign_and_note(page, elodie)
        _approve_two(page, elodie, zoe, anon)
        _export_queue(page, elodie, downloads)
        _export_trail(page, downloads)
        browser.close()


def _search_by_name(page: Page, elodie: str, zoe: str) -> None:
    page.fill("#q", "elodie MARTIN")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=elodie)).to_be_visible()
    expect(page.get_by_role("link", name=zoe)).to_have_count(0)
    expect(page.locator("caption")).to_contain_text("1 request")
    page.fill("#q", "zoe@people.EXAMPLE")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=zoe)).to_be_visible()
    expect(page.get_by_text("z•••@p•••.example")).to_be_visible()
    page.fill("#q", "' OR 1=1 --")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No requests match.")).to_be_visible()


def _assign_and_note(page: Page, elodie: str) -> None:
    page.goto(f"/admin/requests/{elodie}")
    page.select_option("#assignee", label="Dana Officer")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_test_id("assignee")).to_have_text("Dana Officer")
    page.fill("#staff-note", "Asked on the phone to include the CCTV footage.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Asked on the phone to include the CCTV footage.")).to_be_visible()
    page.goto("/admin/requests?assignee=me")
    expect(page.get_by_role("link", name=elodie)).to_be_visible()
    expect(page.locator("caption")).to_contain_text("1 request")


def _approve_two(page: Page, elodie: str, zoe: str, anon: str) -> None:
    page.goto("/admin/requests")
    page.get_by_label(f"Select {elodie}").check()
    page.get_by_label(f"Select {zoe}").check()
    page.select_option("#bulk-action", "approve")
    page.get_by_role("button", name="Apply to selected").click()
    result = page.get_by_role("status", name="Bulk result")
    expect(result).to_contain_text("2 of 2 approved")
    expect(result).to_contain_text(f"{elodie}: approved")
    expect(page.get_by_role("link", name=anon)).to_be_visible()


def _export_queue(page: Page, elodie: str, downloads: Path) -> None:
    page.goto("/admin/requests?q=elodie")
    with page.expect_download() as started:
        page.get_by_role("link", name="Export these requests (CSV)").click()
    path = downloads / "queue.csv"
    started.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row[0] for row in rows[1:]] == [elodie]
    assert "e•••@p•••.example" in rows[1]
    assert "Dana Officer" in rows[1]
    assert "elodie@people.example" not in path.read_text(encoding="utf-8")


def _export_trail(page: Page, downloads: Path) -> None:
    page.goto("/admin/audit")
    page.select_option("#action", "request.approved")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("caption")).to_contain_text("2 entries")
    with page.expect_download() as started:
        page.get_by_role("link", name="JSON Lines").click()
    path = downloads / "audit.jsonl"
    started.value.save_as(path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["verification"]["intact"] is True
    assert [line["action"] for line in lines[1:]] == ["request.approved"] * 2
