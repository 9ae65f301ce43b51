"""The DPIA form in Chromium: a privacy officer opens a DPIA with a criterion ticked and a
review date picked, and lands on the DPIA's page with both shown."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lawful.auth.models import Role
from lawful.datamap.loader import LoadedMap
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from .conftest import Web
from .test_docs_browser import chromium_page


def test_an_officer_opens_a_dpia_from_the_form_in_chromium(
    web: Web, example_map: LoadedMap
) -> None:
    officer = web.signed_in(Role.privacy_officer)
    cookies = dict(officer.cookies.items())
    app = create_app(web.platform.settings, loaded=example_map)
    with serve(app, free_port()) as url, ThreadPoolExecutor(max_workers=1) as thread:
        text = thread.submit(_open_in_chromium, url, cookies).result()
    assert "DPIA-" in text
    assert "Assess applications and hire agents" in text
    assert "Data processed on a large scale" in text
    assert "30 Jun 2031" in text


def _open_in_chromium(url: str, cookies: dict[str, str]) -> str:
    with chromium_page() as page:
        host = url.split("//", 1)[1].split(":")[0]
        page.context.add_cookies(
            [{"name": k, "value": v, "domain": host, "path": "/"} for k, v in cookies.items()]
        )
        page.goto(f"{url}/admin/dpia")
        page.select_option("#purpose", "recruitment")
        page.check("#criterion-large_scale")
        page.fill("#review_on", "2031-06-30")
        page.click("text=Open the DPIA")
        page.wait_for_url("**/admin/dpia/DPIA-*", timeout=15_000)
        return (
            page.locator("main").inner_text()
            if page.locator("main").count()
            else page.inner_text("body")
        )
