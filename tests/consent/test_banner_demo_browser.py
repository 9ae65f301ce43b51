"""The page that hosts the cookie banner (/privacy/banner-demo), in real Chromium: the map's
texts and colours, the banner's own cookies listed and then set, the choice in the ledger."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import select

from lawful.config import Settings
from lawful.consent.models import ConsentEvent
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import SHOP
from .test_banner_browser import CHROMIUM_ARGS

BANNER = """
banner:
  title: Cookies at Lanternfish
  message: Pick what you allow; refusing is one click too.
  accept_all: Allow all
  reject_all: Refuse all
  colours: {background: "#102030", text: "#f0f0f0", button: "#ffd166", button_text: "#102030", link: "#9fd0ff"}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


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
