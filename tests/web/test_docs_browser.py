"""/docs in real Chromium: Swagger UI reads the OpenAPI 3.1 the app serves and renders its
operations, with every file it needs coming from the server itself (no CDN)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, sync_playwright

from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import EXAMPLE_MAP, KEY

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


@pytest.fixture
def base_url(
    platform_store_template: Path, tmp_path: Path, example_map: LoadedMap
) -> Iterator[str]:
    shutil.copy(platform_store_template, tmp_path / "platform.db")
    settings = Settings(map_path=EXAMPLE_MAP, data_dir=tmp_path / "data", encryption_key=KEY,
                        database_url=f"sqlite:///{tmp_path / 'platform.db'}", smtp_host=None)  # fmt: skip
    with serve(create_app(settings, loaded=example_map), free_port()) as url:
        yield url


@contextmanager
def chromium_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser.new_page()
        browser.close()


def test_docs_render_the_operations_and_load_nothing_from_another_host(base_url: str) -> None:
    # Playwright's sync API refuses a thread where an asyncio loop runs, and an earlier test in
    # the same process may leave one: the browser gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(_docs_render, base_url).result()


def _docs_render(base_url: str) -> None:
    with chromium_page() as page:
        _check_docs(page, base_url)


def _check_docs(page: Page, base_url: str) -> None:
    hosts: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)  # fmt: skip
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.goto(f"{base_url}/docs")
    intake = page.locator("#operations-requests-submit_api_v1_requests_post")
    intake.wait_for(timeout=15_000)
    assert page.locator(".info .title").inner_text().startswith("Lawful")
    assert page.get_by_text("does not specify a valid version field").count() == 0
    assert page.locator("#docs-fallback").count() == 0
    intake.locator(".opblock-summary").first.click()  # expand: parameters, body, responses
    responses = intake.locator(".responses-table .response")
    responses.first.wait_for()
    assert {"201", "422", "429"} <= set(responses.evaluate_all("rows => rows.map(r => r.dataset.code)"))  # fmt: skip
    assert intake.get_by_text("Try it out").is_visible()
    assert problems == []  # no script error, no file refused by the page's policy
    assert set(hosts) == {urlsplit(base_url).netloc}  # nothing left 127.0.0.1
