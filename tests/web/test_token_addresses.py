"""Secrets in addresses: the pages a mail link must open with a token in its address hide it
from the access log and never pass it on in a `Referer`; every other page keeps the
same-origin policy its forms rely on."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.routing import APIRoute

from lawful.http.access_log import HIDDEN, redact_path
from lawful.http.security import TOKEN_PAGES
from lawful.web.app import CONTRIBUTIONS

from .conftest import Web, csrf

SECRET_PARAMETERS = {"token", "link"}  # path parameters that are the secret itself
SAMPLE = "s3cr3t-Sample_Value"


def _status_page(web: Web) -> tuple[str, str]:
    body = {"type": "erasure", "email": "ref@people.example", "country": "FR"}
    made = web.client.post("/api/v1/requests", json=body).json()
    return made["reference"], made["status_token"]


def _consent_links(web: Web) -> list[str]:
    auth = {"Authorization": f"Bearer {web.api_token('consent:write')}"}
    links = []
    for kind in ("preferences", "unsubscribe"):
        body = {"subject": "email:ref@people.example", "kind": kind}
        made = web.client.post("/api/v1/consent/links", json=body, headers=auth)
        assert made.status_code in (200, 201), made.text
        links.append(urlsplit(made.json()["url"]).path)
    return links


def test_pages_whose_address_holds_a_token_send_no_referrer(web: Web) -> None:
    reference, token = _status_page(web)
    pages = [
        f"/privacy/requests/{reference}?token={token}",
        f"/privacy/requests/{reference}/download?token={token}",
        "/privacy/downloads/not-a-real-link",
        *_consent_links(web),
    ]
    for page in pages:
        answer = web.client.get(page)
        assert answer.status_code < 500, (page, answer.status_code)
        assert answer.headers["referrer-policy"] == "no-referrer", page
    assert web.client.get("/privacy").headers["referrer-policy"] == "same-origin"


def test_the_status_page_form_still_works_when_the_browser_sends_no_referer(web: Web) -> None:
    reference, token = _status_page(web)
    page = web.client.get(f"/privacy/requests/{reference}?token={token}")
    form = {"csrf_token": csrf(page), "token": token, "code": "000000"}
    # What a browser sends under "no-referrer": no Referer, `Origin: null`.
    for headers in ({"Origin": "null"}, {"Origin": "null", "Sec-Fetch-Site": "same-origin"}):
        answer = web.client.post(
            f"/privacy/requests/{reference}/verify", data=form, headers=headers
        )
        assert answer.status_code == 400, answer.text  # the wrong code, not a refused form
        assert "not right" in answer.text


def _secret_routes() -> list[str]:
    routers = [router for c in CONTRIBUTIONS for router in c.routers]
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    return [r.path for r in routes if SECRET_PARAMETERS & set(r.param_convertors)]


def test_every_route_with_a_secret_in_its_path_is_hidden_in_the_access_log() -> None:
    routes = _secret_routes()
    assert "/u/{token}" in routes
    assert "/privacy/downloads/{link}" in routes
    for route in routes:
        path = re.sub(r"\{(token|link)\}", SAMPLE, route)
        path = re.sub(r"\{[^}]+\}", "1", path)
        logged = redact_path(path + "?token=" + SAMPLE)
        assert SAMPLE not in logged, (route, logged)
        assert HIDDEN in logged
        assert path.startswith(TOKEN_PAGES), f"{route} must send no Referer (TOKEN_PAGES)"


@pytest.mark.parametrize(
    "address",
    ["/privacy/requests/ABC?token=SECRET", "/api/v1/requests/ABC?token=SECRET",
     "/privacy/preferences/SECRET/receipts/3", "/u/SECRET", "/privacy/downloads/SECRET"],
)  # fmt: skip
def test_the_access_log_never_writes_a_token_however_it_is_placed(address: str) -> None:
    assert "SECRET" not in redact_path(address)
