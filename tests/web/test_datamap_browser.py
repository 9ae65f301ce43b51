"""The data map picture in real Chromium: drawn inline, no script runs from it, nothing loads
from elsewhere, and a box is a link to its details."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import EXAMPLE_MAP, KEY, PASSWORD
from .test_docs_browser import CHROMIUM_ARGS

EMAIL = "analyst@staff.example"


@pytest.fixture
def base_url(platform_store_template: Path, tmp_path: Path) -> Iterator[str]:
    shutil.copy(platform_store_template, tmp_path / "platform.db")
    settings = Settings(map_path=EXAMPLE_MAP, data_dir=tmp_path / "data", encryption_key=KEY,
                        database_url=f"sqlite:///{tmp_path / 'platform.db'}", smtp_host=None)  # fmt: skip
    # A map of its own: the session's shared one may have been changed by an earlier test.
    app = create_app(settings, loaded=load_datamap(EXAMPLE_MAP))
    with serve(app, free_port()) as url:
        platform = app.state.platform
        with platform.sessions() as session:
            create_user(session, keyring=platform.keyring, email=EMAIL, name="Andy Analyst",
                        role=Role.analyst, password=PASSWORD, actor="test")  # fmt: skip
            session.commit()
        yield url


def test_a_box_of_the_drawn_map_opens_its_dataset_page(base_url: str) -> None:
    # Playwright's sync API wants a thread without an asyncio loop (see test_docs_browser).
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(_click_through, base_url).result()


def _click_through(base_url: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)  # fmt: skip
        page = browser.new_page(base_url=base_url)
        hosts: set[str] = set()
        problems: list[str] = []
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.goto("/admin/sign-in?next=/admin/map")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/map")
        picture = page.locator("figure.datamap svg")
        if picture.count() == 0:  # say what the page shows instead of timing out
            raise AssertionError(page.locator("main").inner_text()[:2000])
        assert picture.bounding_box() is not None  # drawn, with a size
        box = picture.locator('a[*|href="/admin/map/datasets/candidates"]').first  # xlink:href
        box.click()
        page.wait_for_url("**/admin/map/datasets/candidates")
        assert page.locator("h1").inner_text() == "candidates"
        assert "Fields" in page.locator("h2").all_inner_texts()
        assert hosts == {urlsplit(base_url).netloc}
        assert problems == []
        browser.close()
