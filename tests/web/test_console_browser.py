"""The console's task pages in real Chromium, as a privacy officer uses them: a breach opened,
updated and notified on its 72-hour clock; a legal hold placed on a person by email and
released; a retention sweep run from the Retention page. Each checks the audit entries its
forms write. The app is served by uvicorn on a copy of the example company."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import ClientForward, ForwardMethod
from lawful.platform import RunningPlatform
from lawful.requests.intake import Intake
from lawful.requests.service import approve_request, confirm_identity, submit_request
from lawful.retention.models import LegalHoldPerson
from lawful.retention.service import value_index
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow
from lawful.web.app import create_app
from lawful.worker.inprocess import InProcessQueue

from ..support.servers import free_port, serve
from .conftest import EXAMPLE_MAP, KEY, PASSWORD
from .test_docs_browser import CHROMIUM_ARGS

OFFICER = "officer@staff.example"
TIMEOUT_MS = 20_000


@dataclass
class Console:
    url: str
    platform: RunningPlatform

    def audit(self, action: str) -> list[AuditEntry]:
        with self.platform.sessions() as session:
            query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            return list(session.scalars(query))


@contextmanager
def _served(loaded: LoadedMap, store: Path, company: Path, tmp_path: Path) -> Iterator[Console]:
    shutil.copy(store, tmp_path / "platform.db")
    settings = Settings(map_path=EXAMPLE_MAP, data_dir=tmp_path / "data", encryption_key=KEY,
                        database_url=f"sqlite:///{tmp_path / 'platform.db'}", smtp_host=None,
                        datastore_dir=company, rate_limit_per_minute=10_000,
                        rate_limit_burst=10_000)  # fmt: skip
    app = create_app(settings, loaded=loaded)
    with serve(app, free_port()) as url:
        platform: RunningPlatform = app.state.platform
        with platform.sessions() as session:
            create_user(session, keyring=platform.keyring, email=OFFICER, name="Camille Officer",
                        role=Role.privacy_officer, password=PASSWORD, actor="test")  # fmt: skip
            session.commit()
        yield Console(url, platform)


@pytest.fixture
def console(
    platform_store_template: Path, company_files: Path, tmp_path: Path, example_map: LoadedMap
) -> Iterator[Console]:
    company = shutil.copytree(company_files, tmp_path / "company")
    with _served(example_map, platform_store_template, company, tmp_path) as running:
        yield running


def in_chromium(console: Console, steps: Callable[[Page], None]) -> None:
    """Sign in as the officer and run `steps` in Chromium, on a thread of its own (Playwright's
    sync API refuses a thread where an asyncio loop runs)."""

    def run() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(base_url=console.url)
            page.set_default_timeout(TIMEOUT_MS)
            page.goto("/admin/sign-in")
            page.fill("#email", OFFICER)
            page.fill("#password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
            try:
                steps(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(run).result()


def _minutes_ago(minutes: int) -> str:
    return f"{utcnow() - timedelta(minutes=minutes):%Y-%m-%dT%H:%M}"


def test_an_officer_opens_updates_and_notifies_a_breach_on_its_clock(console: Console) -> None:
    def steps(page: Page) -> None:
        page.goto("/admin/breaches")
        page.get_by_role("link", name="Open an incident").click()
        page.get_by_role("button", name="Open the incident").click()  # nothing filled in
        for field in ("title", "became_aware_at", "datasets"):
            expect(page.locator(f"#{field}-error")).to_be_visible()
        expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")
        page.fill("#title", "Laptop with ATS exports stolen")
        page.fill("#became_aware_at", _minutes_ago(90))
        page.select_option("#datasets", ["candidates", "interviews"])
        page.check("input[name=kinds][value=confidentiality]")
        page.fill("#nature", "A laptop holding exports of the ATS was stolen from a car.")
        page.get_by_role("button", name="Open the incident").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("BR-")
        clock = page.locator("#clock")
        expect(clock).to_contain_text("72-hour clock (GDPR Art. 33(1))")
        expect(clock.locator(".clock-state")).to_have_text(re.compile(r"^(70|71) h \d\d min left$"))
        page.get_by_role("link", name="Update the incident").click()
        page.select_option("#risk", "high")
        page.fill("#people_count", "many")
        page.get_by_role("button", name="Save this phase").click()
        expect(page.locator("#people_count-error")).to_contain_text("whole number")
        page.fill("#people_count", "240")
        page.fill("#consequences", "Identity fraud; phishing.")
        page.fill("#measures_taken", "Remote wipe; passwords reset.")
        page.get_by_role("button", name="Save this phase").click()
        expect(clock).to_contain_text("to tell without undue delay")
        page.select_option("#audience", "authority")
        page.fill("#notified_at", _minutes_ago(5))
        page.fill("#channel", "the authority's online form")
        page.fill("#authority_reference", "NOTIF-2026-118")
        page.get_by_role("button", name="Record the notification").click()
        expect(clock.locator(".clock-state")).to_have_text("notified in time")
        expect(page.get_by_text("(its reference NOTIF-2026-118)")).to_be_visible()

    in_chromium(console, steps)
    [opened] = console.audit("breach.opened")
    reference = opened.subject_id
    assert opened.actor.startswith("staff:")
    assert opened.details == {"datasets": ["candidates", "interviews"]}
    updated = console.audit("breach.updated")
    assert [e.subject_id for e in updated] == [reference, reference]
    assert {"risk", "people_count", "consequences", "measures_taken"} <= set(
        updated[0].details["changed"]
    )
    assert "authority_notified_at" in updated[1].details["changed"]
    [notified] = console.audit("breach.notified")
    assert notified.details["audience"] == "authority"
    assert notified.details["channel"] == "the authority's online form"
    assert {e.actor for e in [opened, *updated, notified]} == {opened.actor}


def test_an_officer_places_a_hold_on_a_person_by_email_and_releases_it(console: Console) -> None:
    email = "ann.tribunal@people.example"

    def steps(page: Page) -> None:
        page.goto("/admin/holds")
        page.select_option("#scope", "dataset")
        page.get_by_role("button", name="Place the hold").click()  # no reason, owner, dataset
        for field in ("reason", "owner"):
            expect(page.locator(f"#{field}-error")).to_be_visible()
        page.select_option("#scope", "person")
        page.fill("#email", email)
        page.fill("#reason", "Employment tribunal claim")
        page.fill("#owner", "Legal counsel")
        page.get_by_role("button", name="Place the hold").click()
        row = page.locator("tr", has_text="Employment tribunal claim")
        expect(row).to_contain_text("a…@people.example")
        expect(page.locator("body")).not_to_contain_text(email)
        row.get_by_label("Why release it").fill("Claim settled")
        row.get_by_role("button", name="Release").click()
        expect(page.locator("tr", has_text="Employment tribunal claim")).to_contain_text(
            "Claim settled"
        )

    in_chromium(console, steps)
    [placed] = console.audit("legal_hold.placed")
    assert placed.details["scope"] == "person"
    assert placed.details["people"] == 1
    assert email not in str(placed.details)
    [released] = console.audit("legal_hold.released")
    assert released.subject_id == placed.subject_id
    assert released.actor == placed.actor
    assert released.actor.startswith("staff:")
    keyring = console.platform.keyring
    with console.platform.sessions() as session:
        [person] = session.scalars(select(LegalHoldPerson)).all()
        assert value_index(keyring, "email", email) in person.value_indexes  # the blind index
        assert email.encode() not in person.identity_sealed


def test_an_officer_runs_a_retention_sweep_from_the_retention_page(console: Console) -> None:
    def steps(page: Page) -> None:
        page.goto("/admin/retention")
        expect(page.locator("#plan")).to_contain_text("candidates_not_hired")
        page.get_by_role("button", name="Run a sweep now").click()
        expect(page.get_by_role("status")).to_contain_text("A sweep is queued")
        done = page.locator("section.sweep .badge.ok", has_text="done")
        for _ in range(60):
            if done.count():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(done.first).to_be_visible()
        expect(page.locator("section.sweep").first).to_contain_text(
            "Evidence in the audit trail: rule"
        )

    in_chromium(console, steps)
    [asked] = console.audit("retention.sweep_requested")
    assert asked.actor.startswith("staff:")
    swept = console.audit("retention.swept")
    assert swept
    assert {e.actor for e in swept} == {asked.actor}
    assert all(e.details["planned_by"] == asked.actor for e in swept)


def test_an_officer_records_a_forward_to_a_client_as_sent_from_the_request_page(
    platform_store_template: Path, company_files: Path, tmp_path: Path, example_map: LoadedMap
) -> None:
    datamap = example_map.datamap
    # Lumière's forward goes through a method Lawful does not send itself: a to-do for staff.
    lumiere = datamap.clients["lumiere"].model_copy(
        update={"forward": ClientForward(method=ForwardMethod.opendsr, address="https://l.example")}
    )
    clients = {**datamap.clients, "lumiere": lumiere}
    loaded = dataclasses.replace(
        example_map, datamap=datamap.model_copy(update={"clients": clients})
    )
    with sqlite3.connect(company_files / "contact_eu.sqlite") as db:
        [(email,)] = db.execute(
            "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1"
        ).fetchall()
    with _served(loaded, platform_store_template, company_files, tmp_path) as console:
        ctx = console.platform.requests
        with console.platform.sessions() as session:
            intake = Intake(request_type="access", email=email, country="FR")
            reference = submit_request(session, ctx=ctx, intake=intake).request.reference
            confirm_identity(session, ctx=ctx, reference=reference, actor="test")
            approve_request(session, ctx=ctx, reference=reference, actor="test")
            session.commit()
        jobs = console.platform.jobs
        assert isinstance(jobs, InProcessQueue)
        jobs.join()
        sent_at = datetime.now(ctx.shown_zone()).strftime("%Y-%m-%dT%H:%M")

        def steps(page: Page) -> None:
            page.goto(f"/admin/requests/{reference}")
            todo = page.locator("section.forward-todo")
            expect(todo).to_contain_text("To do: send it on to Lumière Énergie SA")
            todo.get_by_label("Sent by (channel)").fill("client portal")
            todo.get_by_label(re.compile(r"^Sent on")).fill(sent_at)
            todo.get_by_label("What was sent").fill("The request form, with the reference.")
            todo.get_by_role("button", name="Record as sent").click()
            done = page.locator("#forwards-done")
            expect(done).to_contain_text("Lumière Énergie SA: sent by Camille Officer")
            expect(done).to_contain_text("by client portal on")
            expect(done).to_contain_text("The request form, with the reference.")
            expect(page.locator("section.forward-todo")).to_have_count(0)

        in_chromium(console, steps)
        [recorded] = console.audit("request.forward_recorded")
        assert recorded.actor.startswith("staff:")
        assert recorded.details["client"] == "lumiere"
        assert recorded.details["channel"] == "client portal"
        assert "The request form" not in str(recorded.details)  # what was sent: staff only
