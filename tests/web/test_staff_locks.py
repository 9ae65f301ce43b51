"""The staff identity's rules attacked in parallel against a real server (uvicorn, SQLite then
PostgreSQL), like `test_locks.py`: administrators stepping down at once keep one, a TOTP code
sent by many pending sign-ins at once signs in once, an invitation link used at once sets
one password."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pyotp
from sqlalchemy import func, select

from lawful.auth.accounts import invite_user
from lawful.auth.models import Role, StaffUser
from lawful.auth.second_factor import start_enrolment
from lawful.auth.service import email_index
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow

from .conftest import PASSWORD, Web, csrf
from .test_locks import PARALLEL, make_live, parallel, statuses

__all__ = ["make_live"]  # the fixture, shared with test_locks.py


def _browser(web: Web) -> httpx.Client:
    return httpx.Client(base_url=str(web.client.base_url), follow_redirects=False, timeout=60)


def _call(client: httpx.Client, path: str, data: dict[str, str]) -> Callable[[], httpx.Response]:
    def call() -> httpx.Response:
        return client.post(path, data=data)

    return call


def _user_id(web: Web, email: str) -> str:
    index = email_index(web.platform.keyring, email)
    with web.platform.sessions() as session:
        found = session.scalars(select(StaffUser.id).where(StaffUser.email_index == index)).one()
    return found


def _signed_in(web: Web, email: str) -> tuple[httpx.Client, str]:
    """A browser of its own, signed in as `email`, and its CSRF token."""
    browser = _browser(web)
    assert web.sign_in(email, client=browser).status_code == 303  # type: ignore[arg-type]
    return browser, csrf(browser.get("/admin/account"))


def test_administrators_stepping_down_at_once_leave_exactly_one(
    make_live: Callable[..., Web],
) -> None:
    web = make_live()
    attacks, browsers = [], []
    for n in range(PARALLEL):
        email = web.staff(Role.admin, email=f"admin{n}@staff.example")
        browser, token = _signed_in(web, email)
        browsers.append(browser)
        path = f"/admin/users/{_user_id(web, email)}/role"
        attacks.append(_call(browser, path, {"csrf_token": token, "role": "analyst"}))
    # Every administrator demotes themselves, all at the same moment.
    counted = statuses(parallel(*attacks))
    assert counted == {303: PARALLEL - 1, 409: 1}
    with web.platform.sessions() as session:
        admins = session.scalar(
            select(func.count()).select_from(StaffUser).where(StaffUser.role == Role.admin)
        )
        changed = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "staff.role_changed")
        )
    assert admins == 1
    assert changed == PARALLEL - 1
    for browser in browsers:
        browser.close()


def test_administrators_deactivating_each_other_at_once_leave_one_active(
    make_live: Callable[..., Web],
) -> None:
    web = make_live()
    emails = [web.staff(Role.admin, email=f"admin{n}@staff.example") for n in range(PARALLEL)]
    ids = [_user_id(web, email) for email in emails]
    attacks, browsers = [], []
    for n, email in enumerate(emails):
        browser, token = _signed_in(web, email)
        browsers.append(browser)
        target = ids[(n + 1) % PARALLEL]  # each one deactivates the next
        attacks.append(_call(browser, f"/admin/users/{target}/deactivate", {"csrf_token": token}))
    counted = statuses(parallel(*attacks))
    # A request whose sender was deactivated before it was read is refused (its session
    # ended, so its form token no longer matches: 403); whatever the order, one
    # administrator stays active.
    assert set(counted) <= {303, 403, 409}
    with web.platform.sessions() as session:
        active = session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.role == Role.admin, StaffUser.active.is_(True))
        )
    assert active is not None
    assert active >= 1
    assert counted[303] == PARALLEL - active
    for browser in browsers:
        browser.close()


def test_one_totp_code_sent_by_many_pending_sign_ins_at_once_signs_in_once(
    make_live: Callable[..., Web],
) -> None:
    web = make_live()
    email = web.staff(Role.privacy_officer)
    with web.platform.sessions() as session:
        user = session.get(StaffUser, _user_id(web, email))
        assert user is not None
        enrolment = start_enrolment(session, keyring=web.platform.keyring, user=user)
        user.totp_enabled_at = utcnow()
        session.commit()
    totp = pyotp.TOTP(enrolment.secret)
    attacks, browsers = [], []
    for _ in range(PARALLEL):
        browser = _browser(web)
        browsers.append(browser)
        first = web.sign_in(email, client=browser)  # type: ignore[arg-type]
        assert first.headers["location"].startswith("/admin/sign-in/code")
        token = csrf(browser.get("/admin/sign-in/code"))
        attacks.append(_call(browser, "/admin/sign-in/code", {"csrf_token": token, "code": ""}))
    code = totp.now()
    for n, browser in enumerate(browsers):
        token = csrf(browser.get("/admin/sign-in/code"))
        attacks[n] = _call(browser, "/admin/sign-in/code", {"csrf_token": token, "code": code})
    counted = statuses(parallel(*attacks))
    assert counted == {303: 1, 401: PARALLEL - 1}
    with web.platform.sessions() as session:
        passed = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "staff.second_factor_passed")
        )
    assert passed == 1
    for browser in browsers:
        browser.close()


def test_an_invitation_link_used_at_once_sets_one_password(
    make_live: Callable[..., Web],
) -> None:
    web = make_live()
    with web.platform.sessions() as session:
        new = invite_user(session, keyring=web.platform.keyring, email="new@staff.example",
                          name="New", role=Role.analyst, actor="test", now=utcnow())  # fmt: skip
        session.commit()
    attacks, browsers = [], []
    for n in range(PARALLEL):
        browser = _browser(web)
        browsers.append(browser)
        page = browser.get("/admin/welcome", params={"token": new.secret})
        password = f"{PASSWORD} number {n}"
        data = {"csrf_token": csrf(page), "token": new.secret, "password": password,
                "repeat": password}  # fmt: skip
        attacks.append(_call(browser, "/admin/welcome", data))
    counted = statuses(parallel(*attacks))
    assert counted == {303: 1, 410: PARALLEL - 1}
    with web.platform.sessions() as session:
        accepted = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "staff.invitation_accepted")
        )
    assert accepted == 1
    for browser in browsers:
        browser.close()
