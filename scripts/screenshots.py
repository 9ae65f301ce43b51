"""Screenshots of the admin console for docs/console.md, taken in Chromium (Playwright) from
the demo with its past year: `scripts/screenshots` (one command; re-run after adding a page).

It generates the example company in a temporary folder, prepares the demo store with its staff
and its year of history (as `lawful demo` does), serves it on a free local port, signs in as the
demo administrator and saves one PNG per page under docs/img/ (viewport only, kept < 200 KB).
A page this build does not have (404) is skipped and said so.
"""

from __future__ import annotations

import io
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright
from rich.console import Console

from lawful.auth.models import Role
from lawful.config import load_settings
from lawful.datamap.loader import load_datamap
from lawful.demo.generate import generate_company
from lawful.demo.history import seed_demo_store
from lawful.store.models import utcnow
from lawful.web.app import create_app
from lawful.web.demo import prepare_demo

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "examples" / "contact-center" / "lawful.yaml"
OUT = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
MAX_BYTES = 200_000
console = Console()


def _first_link(
    prefix: str, exclude: tuple[str, ...] = (), *, on: str | None = None
) -> Callable[[Page], str | None]:
    """A page reached through the first link starting with `prefix` on the page `on` (by
    default the page shown before)."""

    def find(page: Page) -> str | None:
        if on is not None:
            page.goto(on)
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            if href.startswith(prefix) and not href.startswith(exclude) and href != prefix:
                return str(href)
        return None

    return find


# (file name, its address or a way to find it, what it shows)
SHOTS: list[tuple[str, str | Callable[[Page], str | None], str]] = [
    ("dashboard", "/admin/dashboard", "the dashboard with a year of requests"),
    ("queue", "/admin/requests", "the request queue"),
    (
        "request",
        _first_link(
            "/admin/requests/",
            ("/admin/requests/new", "/admin/requests/export"),
            on="/admin/requests?due=overdue",
        ),
        "an overdue request",
    ),
    ("map", "/admin/map", "the data map, drawn"),
    ("map-dataset", "/admin/map/datasets/candidates", "a dataset of the map"),
    ("breaches", "/admin/breaches", "the breach register"),
    (
        "breach",
        _first_link("/admin/breaches/", ("/admin/breaches/new",)),
        "one breach and its timeline",
    ),
    ("retention", "/admin/retention", "retention rules and sweeps"),
    ("holds", "/admin/holds", "legal holds"),
    ("consent", "/admin/consent", "the consent ledger"),
    ("users", "/admin/users", "staff accounts"),
    ("audit", "/admin/audit", "the audit trail"),
    ("jobs", "/admin/jobs", "jobs"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(app: object) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit("screenshots: the demo server did not start; see the log above")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def take(page: Page, name: str) -> Path:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if path.stat().st_size > MAX_BYTES:  # a busy page: a smaller viewport keeps it readable
        page.set_viewport_size({"width": 1100, "height": 700})
        page.screenshot(path=str(path), full_page=False)
        page.set_viewport_size({"width": 1280, "height": 800})
    return path


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lawful-shots-") as folder:
        work = Path(folder)
        with console.status("Generating the example company and its past year…"):
            generate_company(subjects=300, out_dir=work / "demo-data", seed=2026,
                             console=Console(file=io.StringIO()), workers=1)  # fmt: skip
            demo = prepare_demo(base=load_settings(), map_path=MAP, data_dir=work / "demo-data",
                                store_dir=work / "demo-platform")  # fmt: skip
            loaded = load_datamap(MAP)
            seed_demo_store(demo.settings, datamap=loaded.datamap, now=utcnow())
        admin = next(a for a in demo.accounts if a.role is Role.admin)
        with serving(create_app(demo.settings, loaded=loaded)) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 800})
            page.goto("/admin/sign-in")
            page.fill("#email", admin.email)
            page.fill("#password", admin.password)
            page.click("button[type=submit]")
            page.wait_for_url("**/admin/**")
            for name, where, what in SHOTS:
                address = where if isinstance(where, str) else where(page)
                if address is None:
                    console.print(f"skipped {name}: no link to {what} on the page before")
                    continue
                answer = page.goto(address)
                if name == "map":  # the picture, not the paragraph above it
                    page.locator("figure.datamap").scroll_into_view_if_needed()
                if answer is None or answer.status == 404:
                    console.print(f"skipped {name}: this build has no {address}")
                    continue
                path = take(page, name)
                console.print(
                    f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB): {what}"
                )
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
