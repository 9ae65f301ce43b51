"""Single sign-on against a real OpenID Connect provider (panva's oidc-provider, run by node:
tests/support/oidc.py): the code flow with PKCE, state and nonce; the verified email maps to
an existing, active staff account; unknown, unverified and deactivated people are refused
with a page that says why; an account is made only when a setting allows it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from lawful.auth.models import Role, StaffUser
from lawful.auth.service import email_index
from lawful.store.audit import AuditEntry

from ..support.oidc import OidcProvider, sign_in_at_provider, start_oidc_provider
from .conftest import TestClient, Web

BASE = "http://testserver"
CALLBACK = f"{BASE}/admin/sso/callback"
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with start_oidc_provider(CALLBACK) as running:
        yield running


@pytest.fixture
def sso_web(make_web: Callable[..., Web], provider: OidcProvider) -> Callable[..., Web]:
    def start(**overrides: Any) -> Web:
        return make_web(public_url=BASE, **(provider.settings() | overrides))

    return start


def sso_sign_in(
    web: Web, login: str, *, browser: TestClient | None = None, next: str = "/admin/account"
) -> tuple[TestClient, httpx.Response, str]:
    """Through the provider: the browser, Lawful's answer at the callback, and its URL."""
    browser = browser or web.browser()
    start: httpx.Response = browser.get("/admin/sso/start", params={"next": next})
    assert start.status_code == 303, start.text
    back = sign_in_at_provider(start.headers["location"], login=login, stop_at=CALLBACK)
    answer: httpx.Response = browser.get(back.removeprefix(BASE))
    return browser, answer, back


def audited(web: Web, action: str) -> list[dict[str, Any]]:
    with web.platform.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [dict(entry.details or {}) for entry in entries]


def test_sign_in_through_the_provider_with_pkce_state_and_nonce(
    sso_web: Callable[..., Web],
) -> None:
    web = sso_web()
    assert "Sign in with Test provider" in web.client.get("/admin/sign-in").text
    email = web.staff(Role.privacy_officer, email="ada@staff.example")
    browser = web.browser()
    start = browser.get("/admin/sso/start", params={"next": "/admin/account"})
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert "lawful_sso" in start.headers["set-cookie"]
    back = sign_in_at_provider(start.headers["location"], login=email, stop_at=CALLBACK)
    answer = browser.get(back.removeprefix(BASE))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/account"
    page = browser.get("/admin/account")
    assert page.status_code == 200
    assert "privacy_officer" in page.text or "Privacy officer" in page.text
    assert audited(web, "staff.signed_in")[-1]["method"] == "sso"
    # The same answer from the provider, sent again, signs no one in (state spent, code used).
    again = browser.get(back.removeprefix(BASE))
    assert again.status_code == 400
    assert "Start again" in again.text


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("login", "why"),
    [
        ("nobody@staff.example", "no staff account"),
        ("unverified.ada@staff.example", "not verified"),
    ],
)
def test_unknown_and_unverified_emails_are_refused_with_a_clear_page(
    sso_web: Callable[..., Web], login: str, why: str
) -> None:
    web = sso_web()
    web.staff(Role.admin, email="ada@staff.example")
    browser, answer, _ = sso_sign_in(web, login)
    assert answer.status_code == 403
    assert why in answer.text
    assert browser.get("/admin/account").status_code == 303  # not signed in
    reasons = [d["reason"] for d in audited(web, "staff.sso_refused")]
    assert reasons == ["no_account" if "nobody" in login else "email_not_verified"]


@SQLITE_ONLY
def test_a_deactivated_account_is_refused(sso_web: Callable[..., Web]) -> None:
    web = sso_web()
    email = web.staff(Role.analyst, email="gone@staff.example")
    with web.platform.sessions() as session:
        user = session.scalars(
            select(StaffUser).where(
                StaffUser.email_index == email_index(web.platform.keyring, email)
            )
        ).one()
        user.active = False
        session.commit()
    _, answer, _ = sso_sign_in(web, email)
    assert answer.status_code == 403
    assert "deactivated" in answer.text


@SQLITE_ONLY
def test_a_callback_in_another_browser_is_refused(sso_web: Callable[..., Web]) -> None:
    web = sso_web()
    email = web.staff(Role.analyst, email="ada@staff.example")
    browser = web.browser()
    start = browser.get("/admin/sso/start")
    back = sign_in_at_provider(start.headers["location"], login=email, stop_at=CALLBACK)
    stranger = web.browser()  # no flow cookie: a forged or stolen callback
    answer = stranger.get(back.removeprefix(BASE))
    assert answer.status_code == 400
    forged = browser.get(back.removeprefix(BASE).replace("state=", "state=x"))
    assert forged.status_code == 400


@SQLITE_ONLY
def test_an_account_is_made_only_when_the_setting_allows(sso_web: Callable[..., Web]) -> None:
    web = sso_web(oidc_create_role="auditor")
    browser, answer, _ = sso_sign_in(web, "new.person@staff.example")
    assert answer.status_code == 303
    assert browser.get("/admin/account").status_code == 200
    with web.platform.sessions() as session:
        index = email_index(web.platform.keyring, "new.person@staff.example")
        user = session.scalars(select(StaffUser).where(StaffUser.email_index == index)).one()
    assert user.role is Role.auditor
    assert audited(web, "staff.user_created")[-1]["by"] == "single sign-on"
    # No password works for an account made by single sign-on.
    assert web.sign_in("new.person@staff.example", "!sso", client=web.browser()).status_code == 401


@SQLITE_ONLY
def test_without_settings_there_is_no_button_and_no_flow(make_web: Callable[..., Web]) -> None:
    web = make_web()
    assert "Sign in with" not in web.client.get("/admin/sign-in").text
    assert web.client.get("/admin/sso/start").status_code == 404


@SQLITE_ONLY
def test_a_second_factor_is_still_asked_after_single_sign_on(
    sso_web: Callable[..., Web],
) -> None:
    from .test_staff_identity import enrol

    web = sso_web()
    email = web.staff(Role.analyst, email="ada@staff.example")
    browser = web.browser()
    web.sign_in(email, client=browser)
    enrol(browser)
    _, answer, _ = sso_sign_in(web, email)
    assert answer.headers["location"].startswith("/admin/sign-in/code")
