"""Every public page reads as words: no Python repr, no JSON escape, no raw id, no table
name (the same check as the mail to people, tests/requests/test_words_to_people.py)."""

from __future__ import annotations

import re

from lawful.datamap.loader import load_datamap

from ..requests.test_words_to_people import leaks
from .conftest import EXAMPLE_MAP, Web, csrf
from .test_privacy_center import _STATUS, _code, _submit

# Hidden form values (CSRF and status tokens) and the page's styles are not read by people.
HIDDEN = re.compile(r'value="[^"]*"|<style.*?</style>|<script.*?</script>', re.S)


def _words(html: str) -> str:
    return HIDDEN.sub(" ", html)


def test_every_public_page_reads_as_words(web: Web) -> None:
    datamap = load_datamap(EXAMPLE_MAP).datamap
    pages: dict[str, str] = {}
    for path in ("/privacy", "/privacy/notice", "/privacy/banner-demo",
                 "/privacy/contact-preferences", "/privacy/contact-preferences/code"):  # fmt: skip
        answer = web.client.get(path)
        assert answer.status_code == 200, path
        pages[path] = answer.text
    pages["form with errors"] = _submit(web, request_type="", email="x", country="").text
    location = _submit(web).headers["location"]
    reference, token = _STATUS.search(location).groups()  # type: ignore[union-attr]
    pages["status, new"] = web.client.get(location).text
    form = {"csrf_token": csrf(web.client.get(location)), "token": token}
    wrong = web.client.post(f"/privacy/requests/{reference}/verify", data=form | {"code": "000000"})
    pages["status, wrong code"] = wrong.text
    code = _code(web.outbox()[-1])
    right = web.client.post(f"/privacy/requests/{reference}/verify", data=form | {"code": code})
    pages["status, verified"] = web.client.get(right.headers["location"]).text
    pages["download"] = web.client.get(
        f"/privacy/requests/{reference}/download", params={"token": token}
    ).text
    auth = {"Authorization": f"Bearer {web.api_token('consent:write')}"}
    for kind in ("preferences", "unsubscribe"):
        made = web.client.post("/api/v1/consent/links", headers=auth,
                               json={"subject": "email:words@people.example", "kind": kind})  # fmt: skip
        pages[kind] = web.client.get(made.json()["url"]).text
    found = {name: hits for name, html in pages.items() if (hits := leaks(_words(html), datamap))}
    assert found == {}
    assert len(pages) == 12
