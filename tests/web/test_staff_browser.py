"""Staff identity in real Chromium against the app served by uvicorn: an administrator invites
someone from the Users page, the invitee chooses a password through the mailed link, turns
on a second factor by its QR page and signs in with a code; single sign-on runs through a
real OpenID Connect provider's pages (panva's oidc-provider). The audit entries are checked."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select, update

from lawful.auth.models import Role, StaffUser
from lawful.auth.service import create_user
from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.platform import RunningPlatform
from lawful.store.audit import AuditEntry
from lawful.web.app import create_app

from ..support.oidc import start_oidc_provider
from ..support.servers import free_port, serve
from .conftest import EXAMPLE_MAP, KEY, PASSWORD

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
TIMEOUT_MS = 15_000
NEW_PASSWORD = "the invitee's own long passphrase"


@dataclass
class Live:
    url: str
    platform: RunningPlatform
    outbox: Path

    def staff(self, role: Role, address: str) -> None:
        with self.platform.sessions() as session:
            create_user(session, keyring=self.platform.keyring, email=address, name="Grace Admin",
                        role=role, password=PASSWORD, actor="test")  # fmt: skip
            session.commit()

    def actions(self) -> list[str]:
        with self.platform.sessions() as session:
            return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all())

    def last_link(self) -> str:
        mails = sorted(self.outbox.glob("*.eml"))
        assert mails, "no mail was written"
        message = email.message_from_bytes(mails[-1].read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(r"http\S+/admin/welcome\?token=\S+", body.get_content())
        assert found, body.get_content()
        return found.group(0)


@pytest.fixture
def live(platform_store_template: Path, tmp_path: Path, example_map: LoadedMap) -> Iterator[Live]:
    shutil.copy(platform_store_template, tmp_path / "platform.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        provider = stack.enter_context(start_oidc_provider(f"{url}/admin/sso/callback"))
        settings = Settings(
            map_path=EXAMPLE_MAP, data_dir=tmp_path / "data", encryption_key=KEY,
            database_url=f"sqlite:///{tmp_path / 'platform.db'}", smtp_host=None,
            public_url=url, rate_limit_per_minute=10_000, rate_limit_burst=10_000,
            **provider.settings(),  # type: ignore[arg-type]
        )  # fmt: skip
        app = create_app(settings, loaded=example_map)
        stack.enter_context(serve(app, port))
        yield Live(url, app.state.platform, tmp_path / "data" / "outbox")


def in_chromium(test: object, live: Live) -> None:
    """Playwright's sync API refuses a thread where an asyncio loop runs: its own thread."""

    def run() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            try:
                test(browser, live)  # type: ignore[operator]
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(run).result()


def sign_in(page: Page, url: str, address: str, password: str) -> None:
    page.goto(f"{url}/admin/sign-in")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_invite_accept_enrol_a_second_factor_and_sign_in_with_a_code(live: Live) -> None:
    in_chromium(_invite_and_second_factor, live)


def _invite_and_second_factor(browser: Browser, live: Live) -> None:
    live.staff(Role.admin, "grace@staff.example")
    admin = browser.new_context().new_page()
    admin.set_default_timeout(TIMEOUT_MS)
    sign_in(admin, live.url, "grace@staff.example", PASSWORD)
    admin.get_by_role("link", name="Users").click()
    expect(admin.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    admin.get_by_label("Name").fill("Ada Lovelace")
    admin.get_by_label("Email").fill("ada@staff.example")
    admin.get_by_label("Role").select_option("privacy_officer")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_text("Invitation sent")).to_be_visible()
    expect(admin.get_by_role("cell", name="a…a@staff.example")).to_be_visible()

    invitee = browser.new_context().new_page()
    invitee.set_default_timeout(TIMEOUT_MS)
    invitee.goto(live.last_link())
    expect(invitee.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    invitee.get_by_label("Password", exact=False).first.fill(NEW_PASSWORD)
    invitee.get_by_label("The same password again").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Save the password").click()
    expect(invitee.get_by_text("Your password is saved")).to_be_visible()
    sign_in(invitee, live.url, "ada@staff.example", NEW_PASSWORD)
    invitee.get_by_role("link", name="My account").click()
    invitee.get_by_role("link", name="Set up an authenticator app").click()
    expect(invitee.locator("figure.qr svg")).to_be_visible()
    totp = pyotp.TOTP(invitee.locator("#totp-secret").inner_text())
    invitee.get_by_label("Code from the app").fill(totp.now())
    invitee.get_by_role("button", name="Turn on").click()
    expect(invitee.get_by_text("The second factor is on")).to_be_visible()
    assert invitee.locator(".recovery-codes li").count() == 10

    with live.platform.sessions() as session:  # the next time step, without waiting for it
        session.execute(update(StaffUser).values(totp_last_step=None))
        session.commit()
    again = browser.new_context().new_page()
    again.set_default_timeout(TIMEOUT_MS)
    sign_in(again, live.url, "ada@staff.example", NEW_PASSWORD)
    expect(again.get_by_role("heading", name="Your code")).to_be_visible()
    again.get_by_label("Code").fill(totp.now())
    again.get_by_role("button", name="Sign in").click()
    again.wait_for_url(f"{live.url}/admin/requests")

    # The administrator sees the person's second factor and session, and changes the role.
    admin.goto(f"{live.url}/admin/users")
    admin.get_by_role("link", name="Ada Lovelace").click()
    expect(admin.get_by_text("recovery codes left")).to_be_visible()
    admin.get_by_label("Role").select_option("auditor")
    admin.get_by_role("button", name="Change role").click()
    expect(admin.get_by_text("Role changed.")).to_be_visible()
    admin.get_by_role("button", name="End session").first.click()
    expect(admin.get_by_text("Session ended.")).to_be_visible()

    actions = live.actions()
    for action in ("staff.user_invited", "staff.invitation_accepted", "staff.two_factor_enabled",
                   "staff.second_factor_passed", "staff.role_changed", "staff.session_revoked"):  # fmt: skip
        assert action in actions, action


def test_single_sign_on_through_the_providers_pages(live: Live) -> None:
    in_chromium(_single_sign_on, live)


def _single_sign_on(browser: Browser, live: Live) -> None:
    live.staff(Role.privacy_officer, "ada@staff.example")
    page = browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live.url}/admin/sign-in")
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.locator("input[name=login]").fill("ada@staff.example")
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()  # the provider's consent
    page.wait_for_url(f"{live.url}/admin/requests")
    expect(page.get_by_role("link", name="My account")).to_be_visible()

    stranger = browser.new_context().new_page()
    stranger.set_default_timeout(TIMEOUT_MS)
    stranger.goto(f"{live.url}/admin/sign-in")
    stranger.get_by_role("link", name="Sign in with Test provider").click()
    stranger.locator("input[name=login]").fill("nobody@staff.example")
    stranger.locator("input[name=password]").fill("anything")
    stranger.locator("button[type=submit]").click()
    stranger.get_by_role("button", name="Continue").click()
    expect(stranger.get_by_role("heading", name="You are not signed in")).to_be_visible()
    expect(stranger.get_by_text("no staff account for your email")).to_be_visible()
    actions = live.actions()
    assert "staff.signed_in" in actions
    assert "staff.sso_refused" in actions
