"""The cookie banner in real Chromium, embedded in a shop's page served from another
origin, with Lawful recording every choice in its ledger; and on its own demo page
(/privacy/banner-demo) with the map's texts and colours."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from lawful.config import Settings
from lawful.consent.models import ConsentEvent
from lawful.platform import RunningPlatform as Platform
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import SHOP

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
GPC_ON = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lanternfish shop</title>
<script src="LAWFUL/consent/banner.js"></script></head>
<body><h1>Lanternfish</h1>
<p><a href="#" id="settings" data-lawful-consent-open>Cookie settings</a></p>
<script type="text/plain" data-lawful-category="advertising">window.adsRan = (window.adsRan || 0) + 1;</script>
<script type="text/plain" data-lawful-category="personalisation">window.prefsRan = true;</script>
<script type="text/plain" data-lawful-category="audience_measurement">window.statsRan = true;</script>
<script>window.pageRan = true;</script>
</body></html>"""


class Sites:
    def __init__(self, platform: Platform, shop_url: str) -> None:
        self.platform, self.shop_url = platform, shop_url

    def ledger(self, category: str) -> list[tuple[str, str]]:
        """(state, method) of the events recorded for a cookie category, oldest first."""
        with self.platform.sessions() as db:
            query = (select(ConsentEvent.state, ConsentEvent.method)
                     .where(ConsentEvent.cookie_category == category).order_by(ConsentEvent.id))  # fmt: skip
            return [(state.value, method) for state, method in db.execute(query)]

    def wait_for_ledger(self, category: str, count: int) -> list[tuple[str, str]]:
        deadline = time.monotonic() + 10
        while len(found := self.ledger(category)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def sites(tmp_path: Path, sqlite_url: str) -> Iterator[Sites]:
    """Lawful on one port, the shop's website on another (a different origin)."""
    # `sqlite_url` is the migrated store at tmp_path/lawful.db, where the app looks for it
    lawful_port, shop_port = free_port(), free_port()
    settings = Settings(map_path=SHOP, data_dir=tmp_path, public_url=f"http://127.0.0.1:{lawful_port}",
                        encryption_key=base64.b64encode(bytes(range(32))).decode(),
                        rate_limit_per_minute=10_000, rate_limit_burst=10_000)  # fmt: skip
    app: FastAPI = create_app(settings)
    html = PAGE.replace("LAWFUL", f"http://127.0.0.1:{lawful_port}")
    shop = Starlette(routes=[Route("/", lambda _: HTMLResponse(html))])
    with serve(app, lawful_port), serve(shop, shop_port) as shop_url:
        yield Sites(app.state.platform, shop_url)


def open_shop(browser: Browser, sites: Sites, *, gpc: bool = False) -> Page:
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"} if gpc else {})
    if gpc:
        context.add_init_script(GPC_ON)
    page = context.new_page()
    page.goto(sites.shop_url)
    return page


def looks(button: Locator) -> object:
    return button.evaluate(
        "b => { const s = getComputedStyle(b), r = b.getBoundingClientRect();"
        " return [s.color, s.backgroundColor, s.fontSize, s.fontWeight, s.padding, r.height, b.parentNode.className]; }"
    )


def ran(page: Page, name: str) -> object:
    return page.evaluate(f"window.{name}")


def test_no_tagged_script_runs_before_consent_and_accepting_runs_them(
    browser: Browser, sites: Sites
) -> None:
    page = open_shop(browser, sites)
    banner = page.locator(".lawful-banner")
    banner.wait_for()
    assert ran(page, "pageRan") is True
    assert ran(page, "adsRan") is None
    assert ran(page, "prefsRan") is None
    assert ran(page, "statsRan") is True  # CNIL-exempt audience measurement needs no consent
    accept, reject = (
        banner.get_by_role("button", name="Accept all"),
        banner.get_by_role("button", name="Reject all"),
    )
    assert looks(accept) == looks(reject)  # rejecting is as easy and as visible as accepting
    accept.click()
    page.wait_for_function("window.adsRan === 1 && window.prefsRan === true")
    assert sites.wait_for_ledger("advertising", 1) == [("given", "accept_all")]
    assert sites.wait_for_ledger("personalisation", 1) == [("given", "accept_all")]
    page.reload()
    page.wait_for_function("window.adsRan === 1")
    assert page.locator(".lawful-banner").count() == 0  # the choice is remembered


def test_rejecting_keeps_tagged_scripts_off_and_is_recorded(browser: Browser, sites: Sites) -> None:
    page = open_shop(browser, sites)
    page.locator(".lawful-banner").get_by_role("button", name="Reject all").click()
    assert sites.wait_for_ledger("advertising", 1) == [("refused", "reject_all")]
    assert sites.wait_for_ledger("personalisation", 1) == [("refused", "reject_all")]
    page.reload()
    page.wait_for_function("window.pageRan === true")
    page.wait_for_timeout(300)
    assert ran(page, "adsRan") is None
    assert ran(page, "prefsRan") is None
    assert page.locator(".lawful-banner").count() == 0


def test_gpc_turns_sale_and_sharing_off_without_asking_and_says_so(
    browser: Browser, sites: Sites
) -> None:
    page = open_shop(browser, sites, gpc=True)
    banner = page.locator(".lawful-banner")
    banner.wait_for()
    assert "Global Privacy Control honoured" in banner.inner_text()
    # recorded before any click: the signal alone is the opt-out (11 CCR §7025)
    assert sites.wait_for_ledger("advertising", 1) == [("refused", "gpc")]
    assert sites.ledger("personalisation") == []
    banner.get_by_role("button", name="Accept all").click()
    page.wait_for_function("window.prefsRan === true")
    assert ran(page, "adsRan") is None
    assert sites.wait_for_ledger("advertising", 2)[-1] == ("refused", "gpc")
    assert sites.wait_for_ledger("personalisation", 1) == [("given", "accept_all")]


def test_the_banner_reopens_from_a_link_and_the_choice_can_be_changed(
    browser: Browser, sites: Sites
) -> None:
    page = open_shop(browser, sites)
    page.locator(".lawful-banner").get_by_role("button", name="Accept all").click()
    page.wait_for_function("window.adsRan === 1")
    page.click("#settings")
    banner = page.locator(".lawful-banner")
    banner.get_by_role("checkbox", name="Advertising").uncheck()
    banner.get_by_role("button", name="Save my choices").click()
    assert sites.wait_for_ledger("advertising", 2) == [
        ("given", "accept_all"),
        ("withdrawn", "save"),
    ]
    page.reload()
    page.wait_for_function("window.prefsRan === true")
    assert ran(page, "adsRan") is None


# --- the page that hosts the banner, with the map's texts and colours -------------------------

BANNER = """
banner:
  title: Cookies at Lanternfish
  message: Pick what you allow; refusing is one click too.
  accept_all: Allow all
  reject_all: Refuse all
  colours: {background: "#102030", text: "#f0f0f0", button: "#ffd166", button_text: "#102030", link: "#9fd0ff"}
"""


@pytest.fixture
def lawful(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[str, FastAPI]]:
    themed = tmp_path / "shop.yaml"
    themed.write_text(SHOP.read_text() + BANNER)
    port = free_port()
    settings = Settings(map_path=themed, data_dir=tmp_path,
                        encryption_key=base64.b64encode(bytes(range(32))).decode(),
                        rate_limit_per_minute=10_000, rate_limit_burst=10_000)  # fmt: skip
    app: FastAPI = create_app(settings)
    with serve(app, port) as url:
        yield url, app


def test_the_demo_page_hosts_the_banner_with_the_map_s_texts_and_colours(
    browser: Browser, lawful: tuple[str, FastAPI]
) -> None:
    url, app = lawful
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    page.goto(f"{url}/privacy/banner-demo")
    banner = page.locator(".lawful-banner")
    banner.wait_for()
    assert "Cookies at Lanternfish" in banner.inner_text()
    assert "refusing is one click too" in banner.inner_text()
    allow, refuse = (banner.get_by_role("button", name="Allow all"),
                     banner.get_by_role("button", name="Refuse all"))  # fmt: skip
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
    assert allow.evaluate(style) == ["rgb(255, 209, 102)", "rgb(16, 32, 48)"]
    assert refuse.evaluate(style) == allow.evaluate(style)  # refusing as visible as accepting
    assert banner.evaluate(style) == ["rgb(16, 32, 48)", "rgb(240, 240, 240)"]
    # The banner's own cookies are in its list, before anything is set.
    banner.get_by_role("button", name="Choose").click()
    listed = banner.inner_text()
    assert "lawful_consent" in listed
    assert "lawful_bid" in listed
    refuse.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = {c["name"] for c in context.cookies()}
        if {"lawful_consent", "lawful_bid"} <= names:
            break
        time.sleep(0.05)
    assert {"lawful_consent", "lawful_bid"} <= {c["name"] for c in context.cookies()}
    with app.state.platform.sessions() as db:
        deadline = time.monotonic() + 10
        while not (methods := db.scalars(select(ConsentEvent.method)).all()):
            assert time.monotonic() < deadline, "no choice reached the ledger"
            time.sleep(0.05)
            db.rollback()
    assert set(methods) == {"reject_all"}
    # The notice the page links to names the same two cookies.
    notice = page.request.get(f"{url}/privacy/notice").text()
    assert "lawful_consent" in notice
    assert "lawful_bid" in notice
    assert [e for e in errors if not e.endswith("/favicon.ico")] == []
    context.close()
