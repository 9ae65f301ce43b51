"""Who gets into the admin console, and what they may do there."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lawful.auth.models import ApiToken, Role, StaffSession
from lawful.http.auth import SESSION_COOKIE
from lawful.requests.intake import Intake
from lawful.requests.models import RightsRequest
from lawful.requests.service import confirm_identity, submit_request
from lawful.requests.states import RequestStatus

from .conftest import Web, csrf

ADMIN_PAGES = [
    "/admin/requests",
    "/admin/requests/new",
    "/admin/requests/ABCDEFGHIJ",
    "/admin/audit",
    "/admin/tokens",
    "/admin/outbox",
    "/admin/retention",
    "/admin/breaches/new",
    "/admin/breaches/BR-2026-0001/edit",
]


def _verified_request(web: Web) -> str:
    """A request whose sender is confirmed: the next step is a staff decision."""
    ctx = web.platform.requests
    with web.platform.sessions() as session:
        submitted = submit_request(
            session,
            ctx=ctx,
            intake=Intake(request_type="access", email="ann@people.example", country="FR"),
        )
        confirm_identity(session, ctx=ctx, reference=submitted.request.reference, actor="test")
        session.commit()
    web.settle()
    return submitted.request.reference


def _status(web: Web, reference: str) -> RequestStatus:
    with web.platform.sessions() as session:
        found = session.scalars(
            select(RightsRequest).where(RightsRequest.reference == reference)
        ).one()
        return found.status


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_send_a_signed_out_browser_to_sign_in(web: Web, path: str) -> None:
    response = web.client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/sign-in")


def test_sign_in_returns_to_the_page_asked_for_and_never_to_another_site(web: Web) -> None:
    email = web.staff(Role.analyst)
    page = web.client.get("/admin/audit")
    assert page.headers["location"] == "/admin/sign-in?next=%2Fadmin%2Faudit"
    form = web.client.get(page.headers["location"])
    response = web.client.post(
        "/admin/sign-in",
        data={"csrf_token": csrf(form), "email": email, "password": "correct horse battery staple",
              "next": "/admin/audit"},
    )  # fmt: skip
    assert response.headers["location"] == "/admin/audit"
    other = web.browser()
    form = other.get("/admin/sign-in")
    response = other.post(
        "/admin/sign-in",
        data={"csrf_token": csrf(form), "email": email, "password": "correct horse battery staple",
              "next": "//evil.example/admin"},
    )  # fmt: skip
    assert response.headers["location"] == "/admin/requests"


def test_the_session_cookie_is_http_only_and_same_site_lax(web: Web) -> None:
    response = web.sign_in(web.staff(Role.admin))
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https gets `Secure` (see next test)


def test_the_session_cookie_is_secure_when_served_over_https(make_web: object) -> None:
    web = make_web()  # type: ignore[operator]
    email = web.staff(Role.admin)
    browser = web.browser()
    browser.base_url = "https://testserver"
    response = web.sign_in(email, client=browser)
    assert "Secure" in response.headers["set-cookie"]


def test_a_wrong_password_fails_and_repeated_failures_are_throttled(make_web: object) -> None:
    web = make_web(sign_in_max_failures=3, sign_in_lockout_minutes=15)  # type: ignore[operator]
    email = web.staff(Role.admin)
    statuses = [web.sign_in(email, "wrong password!!").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = web.sign_in(email)  # the right password, but too soon
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "paused" in locked.text
    assert SESSION_COOKIE not in locked.headers.get("set-cookie", "")


def test_an_unknown_email_fails_like_a_wrong_password(web: Web) -> None:
    web.staff(Role.admin)
    response = web.sign_in("nobody@staff.example")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text


def test_signing_out_ends_the_session_on_the_server(web: Web) -> None:
    browser = web.signed_in(Role.analyst)
    stolen = browser.cookies.get(SESSION_COOKIE)
    page = browser.get("/admin/requests")
    assert page.status_code == 200
    assert browser.post("/admin/sign-out", data={"csrf_token": csrf(page)}).status_code == 303
    replay = web.browser()
    replay.cookies.set(SESSION_COOKIE, stolen or "")
    assert replay.get("/admin/requests").status_code == 303
    with web.platform.sessions() as session:
        ended = session.scalar(select(func.count()).where(StaffSession.ended_at.is_not(None)))
    assert ended == 1


@pytest.mark.parametrize(
    ("token", "headers"),
    [
        (None, {}),  # no token at all
        ("forged-token", {}),  # a token of someone else's making
        ("page", {"Sec-Fetch-Site": "cross-site"}),  # the right token, sent from another site
        ("page", {"Origin": "https://evil.example"}),  # same, from a browser without Fetch Metadata
    ],
)
def test_a_cross_site_or_tokenless_form_post_is_refused(
    web: Web, token: str | None, headers: dict[str, str]
) -> None:
    browser = web.signed_in(Role.admin)
    page = browser.get("/admin/tokens")
    data = {"name": "sync", "scopes": "audit:read", "days": "30"}
    if token is not None:
        data["csrf_token"] = csrf(page) if token == "page" else token
    response = browser.post("/admin/tokens", data=data, headers=headers)
    assert response.status_code == 403
    assert "lawful_" not in response.text
    with web.platform.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_same_form_post_with_its_token_goes_through(web: Web) -> None:
    browser = web.signed_in(Role.admin)
    page = browser.get("/admin/tokens")
    response = browser.post(
        "/admin/tokens",
        data={"csrf_token": csrf(page), "name": "sync", "scopes": "audit:read", "days": "30"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    )
    assert response.status_code == 201
    assert "lawful_" in response.text  # the secret, shown once


def test_the_auditor_sees_no_decision_forms_and_cannot_approve(web: Web) -> None:
    reference = _verified_request(web)
    officer = web.signed_in(Role.privacy_officer)
    assert (
        f"/admin/requests/{reference}/approve" in officer.get(f"/admin/requests/{reference}").text
    )
    auditor = web.signed_in(Role.auditor)
    page = auditor.get(f"/admin/requests/{reference}")
    assert page.status_code == 200
    for action in ("approve", "deny", "extend", "cancel", "confirm-identity"):
        assert f"/admin/requests/{reference}/{action}" not in page.text
    response = auditor.post(f"/admin/requests/{reference}/approve", data={"csrf_token": csrf(page)})
    assert response.status_code == 403
    assert "Auditor" in response.text
    assert _status(web, reference) is RequestStatus.verified


def test_an_analyst_approves_but_may_not_deny(web: Web) -> None:
    reference = _verified_request(web)
    analyst = web.signed_in(Role.analyst)
    page = analyst.get(f"/admin/requests/{reference}")
    assert f"/admin/requests/{reference}/deny" not in page.text
    denied = analyst.post(
        f"/admin/requests/{reference}/deny",
        data={"csrf_token": csrf(page), "reason": "manifestly_unfounded"},
    )
    assert denied.status_code == 403
    approved = analyst.post(f"/admin/requests/{reference}/approve", data={"csrf_token": csrf(page)})
    assert approved.status_code == 303
    assert _status(web, reference) in (RequestStatus.approved, RequestStatus.running,
                                       RequestStatus.completed, RequestStatus.partially_completed)  # fmt: skip


def test_only_administrators_reach_the_api_tokens_page(web: Web) -> None:
    assert web.signed_in(Role.privacy_officer).get("/admin/tokens").status_code == 403
    assert web.signed_in(Role.admin).get("/admin/tokens").status_code == 200
