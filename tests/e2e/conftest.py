"""The rights-request service end to end, as people and staff meet it: the real app served by
uvicorn on 127.0.0.1, mail through a real SMTP server (aiosmtpd), the example company's SQLite
databases (1000 people, seed 2026) as the datastores, a platform store built by the
migrations, and Debian's Chromium driven by Playwright. One server and one browser serve the
whole folder; each test picks people no other test touches, each actor gets its own browser
context (its own cookies)."""

from __future__ import annotations

import base64
import re
import shutil
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.demo.load import sqlite_systems
from lawful.platform import RunningPlatform as Platform
from lawful.web.app import create_app

from ..support.company import row_key
from ..support.mail import Inbox, code_in, running_smtp_server
from ..support.servers import free_port, serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
KEY = base64.b64encode(bytes(range(32))).decode()
STAFF_PASSWORD = "a long passphrase for the e2e privacy officer"
SCREENSHOTS = Path(tempfile.gettempdir()) / "lawful-e2e-screenshots"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
TIMEOUT_MS = 15_000
DOWNLOAD_FORM = "**/privacy/requests/*/download"  # where the download code is posted

Rows = dict[Any, dict[str, Any]]  # primary key → row


# --- the service --------------------------------------------------------------------------------


@dataclass
class Service:
    """The running app, its mail server's inbox and the example company's databases."""

    url: str
    platform: Platform
    inbox: Inbox
    data_dir: Path

    @property
    def datamap(self) -> DataMap:
        return self.platform.datamap

    def query(self, system: str, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Read one system's SQLite file directly (the ground truth, not through Lawful)."""
        path = self.data_dir / sqlite_systems(self.datamap)[system]
        with closing(sqlite3.connect(path)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, params)]

    def rows(self, dataset: str, where: str = "1 = 1", **params: Any) -> Rows:
        """Rows of one dataset of the map, by primary key."""
        spec = self.datamap.datasets[dataset]
        found = self.query(
            spec.system, f"SELECT * FROM {spec.table or dataset} WHERE {where}", **params
        )
        return {row_key(row, spec.primary_key): row for row in found}

    def snapshot(self) -> dict[str, Rows]:
        """Every row of every dataset kept in the example company's SQLite files."""
        systems = sqlite_systems(self.datamap)
        return {
            did: self.rows(did) for did, d in self.datamap.datasets.items() if d.system in systems
        }

    def emails(self) -> dict[str, set[str]]:
        """Every email address found anywhere in the example company's databases, with the
        datasets that hold it."""
        found: dict[str, set[str]] = defaultdict(set)
        for dataset, rows in self.snapshot().items():
            for row in rows.values():
                for value in row.values():
                    if isinstance(value, str) and "@" in value:
                        for email in EMAIL.findall(value):
                            found[email.lower()].add(dataset)
        return found

    def held_only_in(self, dataset: str, emails: Iterable[str]) -> list[str]:
        """The addresses among `emails` that appear in `dataset` and nowhere else."""
        where = self.emails()
        return [e for e in emails if where[e.lower()] == {dataset}]


def an_applicant_known_only_to_recruitment(service: Service, *, skip: int = 0) -> tuple[int, str]:
    """(candidate id, email) of an applicant with interviews, a background check, a survey
    and an ID proof, whose address appears in no other dataset."""
    rich = service.query(
        "ats",
        "SELECT candidate_id, email FROM candidates c WHERE email IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM applications a JOIN interviews i USING (application_id)"
        "             WHERE a.candidate_id = c.candidate_id)"
        " AND EXISTS (SELECT 1 FROM background_checks b WHERE b.candidate_id = c.candidate_id)"
        " AND EXISTS (SELECT 1 FROM equal_opportunity_surveys s WHERE s.candidate_id = c.candidate_id)"
        " AND EXISTS (SELECT 1 FROM id_proofs p WHERE p.candidate_id = c.candidate_id)"
        " ORDER BY candidate_id",
    )
    alone = service.held_only_in("candidates", [r["email"] for r in rich])
    return next((r["candidate_id"], r["email"]) for r in rich if r["email"] == alone[skip])


@pytest.fixture(scope="session")
def service(
    company: Path, platform_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("e2e")
    data_dir = root / "company"
    shutil.copytree(company, data_dir)
    shutil.copy(platform_store_template, root / "lawful.db")
    with running_smtp_server() as smtp:
        port = free_port()
        settings = Settings(
            data_dir=root / "state",
            database_url=f"sqlite:///{root / 'lawful.db'}",
            encryption_key=KEY,
            map_path=EXAMPLE_MAP,
            datastore_dir=data_dir,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_starttls=False,  # aiosmtpd on localhost speaks plain SMTP
            smtp_from="privacy@voxaria.example",
            public_url=f"http://127.0.0.1:{port}",
            rate_limit_per_minute=10_000,
            rate_limit_burst=10_000,
        )
        app = create_app(settings, loaded=load_datamap(EXAMPLE_MAP))
        with serve(app, port, http="h11", ws="none") as url:
            yield Service(url, app.state.platform, smtp.inbox, data_dir)


# --- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): run scripts/bootstrap (installs Debian's chromium)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_context(browser: Browser, service: Service) -> BrowserContext:
    """A browser context of its own: its own cookies, as another person's browser."""
    context = browser.new_context(base_url=service.url, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_page(browser: Browser, service: Service) -> Iterator[Callable[[], Page]]:
    """`new_page()`: a page in a browser context of its own, closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        contexts.append(open_context(browser, service))
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save what the page shows now into the system's temp folder (never committed)."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- people and staff -----------------------------------------------------------------------------


@dataclass
class Person:
    """Someone using the privacy center in their own browser, reading their own mail."""

    page: Page
    email: str
    inbox: Inbox
    reference: str = ""
    download_codes: int = 0

    def make_request(self, request_type: str, country: str = "France") -> str:
        self.page.goto("/privacy")
        self.page.check(f"#type-{request_type}")
        self.page.fill("#email", self.email)
        self.page.select_option("#country", label=country)
        self.page.get_by_role("button", name="Send my request").click()
        expect(self.page.get_by_role("heading", name="Your request is registered")).to_be_visible()
        self.reference = self.page.locator(".reference").inner_text().strip()
        return self.reference

    def mail(self, subject_part: str, count: int = 1) -> EmailMessage:
        return self.inbox.wait_for(self.email, subject_part, count=count)

    def verification_code(self) -> str:
        return code_in(self.inbox.text(self.mail(f"Your code for request {self.reference}")))

    def enter_code(self, code: str) -> None:
        self.page.fill("#code", code)
        self.page.get_by_role("button", name="Confirm").click()

    def confirm_identity(self) -> None:
        self.enter_code(self.verification_code())
        expect(self.page.locator("dl.facts")).to_contain_text("Identity confirmed")

    def answer(self) -> str:
        """The text of the mail saying the request is done."""
        return self.inbox.text(self.mail(f"Your request {self.reference} is complete"))

    def open_download_page(self) -> None:
        """Follow the link of the "ready" mail and ask for a fresh code."""
        link = next(line for line in self.answer().splitlines() if "/download?token=" in line)
        self.page.goto(link.strip())
        # Opening the link sends nothing (a mail scanner opening it would use up codes):
        # the page says so and asks.
        expect(self.page.locator("#code")).to_have_count(0)
        self.page.get_by_role("button", name="Send me a code", exact=True).click()
        expect(self.page.get_by_role("status")).to_contain_text("We sent a download code")

    def download_code(self) -> str:
        self.download_codes += 1
        subject = f"Your code to download your data ({self.reference})"
        return code_in(self.inbox.text(self.mail(subject, count=self.download_codes)))

    def download(self) -> bytes:
        """Enter the download code; the browser saves the ZIP."""
        self.page.fill("#code", self.download_code())
        with self.page.expect_download() as started:
            self.page.get_by_role("button", name="Download", exact=True).click()
        return Path(started.value.path()).read_bytes()

    def download_link(self) -> str:
        """Enter the download code and note the single-use link it is answered with, without
        opening it: the form's answer (a redirect to the link) is held back from the page."""
        held: list[str] = []

        def hold(route: Route) -> None:
            if route.request.method != "POST":
                route.fallback()
                return
            answer = route.fetch(max_redirects=0)  # with this browser's cookies
            held.append(answer.headers.get("location", f"no link: HTTP {answer.status}"))
            route.fulfill(status=200, content_type="text/html", body="<p>Link noted.</p>")

        self.page.route(DOWNLOAD_FORM, hold)
        self.page.fill("#code", self.download_code())
        self.page.get_by_role("button", name="Download", exact=True).click()
        expect(self.page.locator("body")).to_contain_text("Link noted.")
        self.page.unroute(DOWNLOAD_FORM)
        [link] = held
        assert link.startswith("/privacy/downloads/"), link
        return link

    def open_link(self, link: str) -> bytes:
        """Open a download link in this browser; it saves the ZIP."""
        with self.page.expect_download() as started:
            self.page.evaluate("link => { window.location.href = link }", link)
        return Path(started.value.path()).read_bytes()


@pytest.fixture
def person(service: Service, new_page: Callable[[], Page]) -> Callable[[str], Person]:
    """`person(email)`: someone with that address, in a browser of their own."""
    return lambda email: Person(new_page(), email, service.inbox)


@dataclass
class Staff:
    """A staff member in the admin console, in a browser of their own."""

    page: Page

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto("/admin/sign-in")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()

    def approve(self, reference: str) -> None:
        """Find the request in the queue of verified requests and approve it."""
        self.page.goto("/admin/requests")
        self.page.select_option("#status", "verified")
        self.page.get_by_role("button", name="Filter").click()
        self.page.get_by_role("link", name=reference).click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(reference)
        self.page.get_by_role("button", name="Approve").click()
        status = self.page.locator("dl.facts").first
        expect(status).to_contain_text(re.compile(r"Status\s*(approved|running|completed)"))


@pytest.fixture(scope="session")
def privacy_officer(browser: Browser, service: Service) -> Iterator[Staff]:
    """A privacy officer, made by the service as `lawful user create` does, signed in once in
    a browser context of their own (apart from every person's)."""
    email = "officer@voxaria.example"
    with service.platform.sessions() as session:
        create_user(session, keyring=service.platform.keyring, email=email, name="Camille Officer",
                    role=Role.privacy_officer, password=STAFF_PASSWORD, actor="test")  # fmt: skip
        session.commit()
    context = open_context(browser, service)
    staff = Staff(context.new_page())
    staff.sign_in(email, STAFF_PASSWORD)
    yield staff
    context.close()
