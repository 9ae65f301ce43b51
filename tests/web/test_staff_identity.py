"""Staff identity in the admin console (issue 16, item 1): the Users page (invitations by mail,
roles, deactivation, password resets), the TOTP second factor with recovery codes, the roles
that must use one, and sessions listed and revoked. Each change's audit entry is checked."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote

import httpx
import pyotp
import pytest
from sqlalchemy import select, update

from lawful.auth.models import Role, StaffLink, StaffSession, StaffUser
from lawful.auth.service import email_index
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow

from .conftest import TestClient, Web, csrf

NEW_PASSWORD = "a much longer new passphrase"
_LINK = re.compile(r"http://localhost:8000(/admin/(?:welcome|reset))\?token=([A-Za-z0-9_%-]+)")
_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
_RECOVERY = re.compile(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>")


def actions(web: Web) -> list[str]:
    with web.platform.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all())


def user_by_email(web: Web, email: str) -> StaffUser:
    with web.platform.sessions() as session:
        index = email_index(web.platform.keyring, email)
        found = session.scalars(select(StaffUser).where(StaffUser.email_index == index)).one()
        return found


def form(client: TestClient, page: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf(client.get(page)), **fields}


def last_link(web: Web) -> tuple[str, str]:
    mails = web.outbox()
    assert mails, "no mail was sent"
    message = email.message_from_string(mails[-1], policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    found = _LINK.findall(body.get_content())
    assert found, mails[-1]
    path, token = found[-1]
    return path, unquote(token)


def invite(web: Web, admin: TestClient, email: str, role: Role = Role.analyst) -> httpx.Response:
    fields = form(admin, "/admin/users", name="Ada Lovelace", email=email, role=role.value)
    answer: httpx.Response = admin.post("/admin/users", data=fields)
    return answer


def choose_password(
    web: Web, path: str, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    browser = web.browser()
    page: httpx.Response = browser.get(path, params={"token": token})
    if page.status_code != 200:  # the link is refused before the form
        return page
    data = {"csrf_token": csrf(page), "token": token, "password": password, "repeat": password}
    answer: httpx.Response = browser.post(path, data=data)
    return answer


# --- the Users page: invitations -------------------------------------------------------------


def test_an_invitation_by_mail_makes_an_inactive_account_until_the_password_is_chosen(
    web: Web,
) -> None:
    admin = web.signed_in(Role.admin)
    answer = invite(web, admin, "ada@staff.example", Role.privacy_officer)
    assert answer.status_code == 303
    listing = admin.get("/admin/users").text
    assert "Ada Lovelace" in listing
    assert "a…a@staff.example" in listing
    assert "ada@staff.example" not in listing  # masked on the list
    assert "invited" in listing
    path, token = last_link(web)
    assert path == "/admin/welcome"
    mail = web.outbox()[-1]
    assert "Privacy officer" in mail
    assert "3 days" in mail
    # Before accepting, the account cannot sign in.
    assert web.sign_in("ada@staff.example", NEW_PASSWORD, client=web.browser()).status_code == 401
    with web.platform.sessions() as session:
        stored = session.scalars(select(StaffLink.token_hash)).all()
    assert token not in stored  # only its digest is kept

    assert choose_password(web, path, token).status_code == 303
    assert web.sign_in("ada@staff.example", NEW_PASSWORD, client=web.browser()).status_code == 303
    again = choose_password(web, path, token, "yet another long password")
    assert again.status_code == 410
    assert "used, expired or unknown" in again.text
    user = user_by_email(web, "ada@staff.example")
    assert user.active
    assert user.role is Role.privacy_officer
    assert {"staff.user_invited", "staff.invitation_accepted"} <= set(actions(web))


def test_a_bad_invitation_is_refused_next_to_its_field_and_nothing_is_sent(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    bad = invite(web, admin, "not an email")
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text
    assert "name@example.org" in bad.text
    taken = invite(web, admin, "admin@staff.example")  # the signed-in admin's own address
    assert taken.status_code == 422
    assert "already exists" in taken.text
    assert web.outbox() == []


def test_only_administrators_reach_the_users_page(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    assert analyst.get("/admin/users").status_code == 403
    fields = form(analyst, "/admin/account", name="X", email="x@staff.example", role="admin")
    assert analyst.post("/admin/users", data=fields).status_code == 403


def test_an_expired_invitation_link_is_refused(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    invite(web, admin, "late@staff.example")
    path, token = last_link(web)
    with web.platform.sessions() as session:
        session.execute(update(StaffLink).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    page = web.browser().get(path, params={"token": token})
    assert page.status_code == 410
    assert "Ask an administrator" in page.text


# --- roles, deactivation, resets ---------------------------------------------------------------


def test_role_change_and_deactivation_take_effect_and_end_the_sessions(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    analyst = web.signed_in(Role.analyst)
    target = user_by_email(web, "analyst@staff.example")
    page = f"/admin/users/{target.id}"
    changed = admin.post(f"{page}/role", data=form(admin, page, role="privacy_officer"))
    assert changed.status_code == 303
    assert user_by_email(web, "analyst@staff.example").role is Role.privacy_officer

    assert analyst.get("/admin/requests").status_code == 200
    assert admin.post(f"{page}/deactivate", data=form(admin, page)).status_code == 303
    assert analyst.get("/admin/requests").status_code == 303  # to sign-in: session ended
    with web.platform.sessions() as session:
        live = session.scalars(
            select(StaffSession).where(
                StaffSession.user_id == target.id, StaffSession.ended_at.is_(None)
            )
        ).all()
    assert live == []
    assert web.sign_in("analyst@staff.example", client=web.browser()).status_code == 401
    assert admin.post(f"{page}/reactivate", data=form(admin, page)).status_code == 303
    assert web.sign_in("analyst@staff.example", client=web.browser()).status_code == 303
    assert {"staff.role_changed", "staff.user_deactivated", "staff.user_reactivated"} <= set(
        actions(web)
    )


def test_the_last_active_administrator_cannot_demote_or_deactivate_themselves(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    me = user_by_email(web, "admin@staff.example")
    page = f"/admin/users/{me.id}"
    demoted = admin.post(f"{page}/role", data=form(admin, page, role="analyst"))
    assert demoted.status_code == 409
    assert "last active administrator" in demoted.text
    gone = admin.post(f"{page}/deactivate", data=form(admin, page))
    assert gone.status_code == 409
    assert user_by_email(web, "admin@staff.example").role is Role.admin
    # With a second administrator, the first may step down.
    web.staff(Role.admin, email="second@staff.example")
    assert admin.post(f"{page}/role", data=form(admin, page, role="analyst")).status_code == 303
    assert admin.get("/admin/users").status_code == 403  # no longer an administrator


def test_a_password_reset_link_works_once_and_signs_the_person_out_everywhere(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    analyst = web.signed_in(Role.analyst)
    target = user_by_email(web, "analyst@staff.example")
    page = f"/admin/users/{target.id}"
    assert admin.post(f"{page}/reset", data=form(admin, page)).status_code == 303
    path, token = last_link(web)
    assert path == "/admin/reset"
    assert "60 minutes" in web.outbox()[-1]
    assert choose_password(web, path, token).status_code == 303
    assert analyst.get("/admin/requests").status_code == 303  # signed out
    assert web.sign_in("analyst@staff.example", client=web.browser()).status_code == 401
    assert web.sign_in("analyst@staff.example", NEW_PASSWORD, web.browser()).status_code == 303
    assert choose_password(web, path, token).status_code == 410
    assert {"staff.password_reset_sent", "staff.password_reset"} <= set(actions(web))


# --- sessions ----------------------------------------------------------------------------------


def test_my_sessions_are_listed_and_ending_one_signs_that_browser_out_at_its_next_request(
    web: Web,
) -> None:
    email = web.staff(Role.auditor)
    first, second = web.browser(), web.browser()
    web.sign_in(email, client=first)
    second.headers["user-agent"] = "Mozilla/5.0 Firefox/140.0"
    web.sign_in(email, client=second)
    page = first.get("/admin/account")
    assert page.status_code == 200
    assert "Firefox" in page.text
    assert "(this browser)" in page.text
    user = user_by_email(web, email)
    with web.platform.sessions() as session:
        other = session.scalars(
            select(StaffSession).where(
                StaffSession.user_id == user.id, StaffSession.user_agent.like("%Firefox%")
            )
        ).one()
    revoked = first.post(
        f"/admin/account/sessions/{other.id}/revoke", data=form(first, "/admin/account")
    )
    assert revoked.status_code == 303
    assert second.get("/admin/account").status_code == 303  # to sign-in
    assert first.get("/admin/account").status_code == 200
    assert "staff.session_revoked" in actions(web)
    # Another person's session cannot be ended from My account.
    intruder = web.signed_in(Role.analyst)
    mine = first.get("/admin/account")
    assert mine.status_code == 200
    with web.platform.sessions() as session:
        live = session.scalars(
            select(StaffSession.id).where(
                StaffSession.user_id == user.id, StaffSession.ended_at.is_(None)
            )
        ).one()
    answer = intruder.post(
        f"/admin/account/sessions/{live}/revoke", data=form(intruder, "/admin/account")
    )
    assert answer.status_code == 404


def test_an_administrator_sees_and_ends_a_persons_sessions(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    analyst = web.signed_in(Role.analyst)
    target = user_by_email(web, "analyst@staff.example")
    page = admin.get(f"/admin/users/{target.id}")
    found = re.search(rf"/admin/users/{target.id}/sessions/([0-9a-f]+)/revoke", page.text)
    assert found, page.text
    ended = admin.post(found.group(0), data=form(admin, f"/admin/users/{target.id}"))
    assert ended.status_code == 303
    assert analyst.get("/admin/requests").status_code == 303


# --- the second factor ---------------------------------------------------------------------------


def enrol(client: TestClient) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get("/admin/account/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text
    secret = _SECRET.search(page.text)
    assert secret, page.text
    totp = pyotp.TOTP(secret.group(1))
    done = client.post(
        "/admin/account/two-factor", data={"csrf_token": csrf(page), "code": totp.now()}
    )
    assert done.status_code == 200, done.text
    codes = _RECOVERY.findall(done.text)
    assert len(codes) == 10
    return totp, codes


def sign_in_with_code(web: Web, email: str, code: str) -> tuple[TestClient, httpx.Response]:
    browser = web.browser()
    first = web.sign_in(email, client=browser)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/admin/sign-in/code")
    page = browser.get("/admin/sign-in/code")
    answer = browser.post("/admin/sign-in/code", data={"csrf_token": csrf(page), "code": code})
    return browser, answer


def test_totp_enrolment_then_sign_in_needs_the_code_and_a_used_code_is_refused(web: Web) -> None:
    email = web.staff(Role.privacy_officer)
    browser = web.browser()
    web.sign_in(email, client=browser)
    totp, recovery = enrol(browser)
    user = user_by_email(web, email)
    assert user.totp_enabled_at is not None
    assert user.totp_secret_sealed is not None
    assert totp.secret.encode() not in user.totp_secret_sealed  # sealed at rest

    pending = web.browser()
    assert web.sign_in(email, client=pending).status_code == 303
    # Before the code, every page sends the browser to the code's page.
    code_page = pending.get("/admin/sign-in/code")
    assert "/admin/account" not in code_page.text  # no menu before the code
    blocked = pending.get("/admin/requests")
    assert blocked.status_code == 303
    assert blocked.headers["location"] == "/admin/sign-in/code"
    wrong = pending.post(
        "/admin/sign-in/code",
        data=form(
            pending, "/admin/sign-in/code", code="000000" if totp.now() != "000000" else "111111"
        ),
    )
    assert wrong.status_code == 401

    # The code used at enrolment (same time step) is not accepted again.
    _, replay = sign_in_with_code(web, email, totp.now())
    assert replay.status_code == 401
    assert "used already" in replay.text
    with web.platform.sessions() as session:  # the next time step's code is fresh
        session.execute(update(StaffUser).values(totp_last_step=None))
        session.commit()
    ok_browser, ok = sign_in_with_code(web, email, totp.now())
    assert ok.status_code == 303
    assert ok.headers["location"] == "/admin/requests"
    assert ok_browser.get("/admin/requests").status_code == 200

    # A recovery code replaces the app once.
    _, recovered = sign_in_with_code(web, email, recovery[0])
    assert recovered.status_code == 303
    _, reused = sign_in_with_code(web, email, recovery[0])
    assert reused.status_code == 401
    logged = actions(web)
    assert "staff.two_factor_enabled" in logged
    assert "staff.recovery_code_used" in logged
    assert logged.count("staff.second_factor_passed") == 2


def test_too_many_wrong_codes_end_the_pending_sign_in(web: Web) -> None:
    email = web.staff(Role.analyst)
    browser = web.browser()
    web.sign_in(email, client=browser)
    totp, _ = enrol(browser)
    pending = web.browser()
    web.sign_in(email, client=pending)
    wrong = f"{(int(totp.now()) + 500_000) % 10**6:06d}"
    answers = [
        pending.post("/admin/sign-in/code", data=form(pending, "/admin/sign-in/code", code=wrong))
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 303]
    assert answers[-1].headers["location"] == "/admin/sign-in?error=codes"
    assert pending.get("/admin/sign-in/code").headers["location"] == "/admin/sign-in"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_role_that_must_use_a_second_factor_is_sent_to_enrol_first(make_web: Any) -> None:
    web = make_web(require_2fa_roles=["admin"])
    admin = web.signed_in(Role.admin)
    first = admin.get("/admin/requests")
    assert first.status_code == 303
    assert first.headers["location"] == "/admin/account/two-factor"
    analyst = web.signed_in(Role.analyst)  # not a required role
    assert analyst.get("/admin/requests").status_code == 200
    enrol(admin)
    assert admin.get("/admin/requests").status_code == 200
    off = admin.post("/admin/account/two-factor/off", data=form(admin, "/admin/account"))
    assert off.status_code == 400  # required: it cannot be turned off


def test_an_administrator_removes_a_lost_second_factor(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    email = web.staff(Role.analyst)
    browser = web.browser()
    web.sign_in(email, client=browser)
    enrol(browser)
    target = user_by_email(web, email)
    page = f"/admin/users/{target.id}"
    assert "recovery codes left" in admin.get(page).text
    assert admin.post(f"{page}/two-factor/remove", data=form(admin, page)).status_code == 303
    assert web.sign_in(email, client=web.browser()).headers["location"] == "/admin/requests"
    assert "staff.two_factor_removed" in actions(web)


def test_a_pending_invitation_is_sent_again_with_a_new_link_that_replaces_the_old(
    web: Web,
) -> None:
    admin = web.signed_in(Role.admin)
    invite(web, admin, "slow@staff.example")
    _, first = last_link(web)
    user = user_by_email(web, "slow@staff.example")
    page = f"/admin/users/{user.id}"
    assert "Send the invitation again" in admin.get(page).text
    assert admin.post(f"{page}/reset", data=form(admin, page)).status_code == 303
    path, second = last_link(web)
    assert second != first
    assert choose_password(web, path, first).status_code == 410
    assert choose_password(web, path, second).status_code == 303
    assert "staff.invitation_renewed" in actions(web)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_hostile_name_is_shown_as_text_on_pages_and_in_the_mail(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    hostile = "<script>alert(1)</script> O'Brien & Co"
    fields = form(admin, "/admin/users", name=hostile, email="o@staff.example", role="analyst")
    assert admin.post("/admin/users", data=fields).status_code == 303
    listing = admin.get("/admin/users").text
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    message = email.message_from_string(web.outbox()[-1], policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    html = message.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
