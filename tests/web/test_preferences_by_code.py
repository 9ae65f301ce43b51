"""Into the preference center from the privacy center by a code sent to the address: the
same answer for known and unknown addresses, a few codes per address and hour, a few tries
per code, one use — each limit attacked by requests at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawful.requests.context import RequestsContext
from lawful.requests.models import PreferenceCode
from lawful.requests.preference_access import (
    CODES_PER_HOUR,
    MAX_TRIES,
    ask_preferences_code,
    check_preferences_code,
)
from lawful.requests.records import purge_expired_records
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow

from .conftest import Web, csrf

PAGE = "/privacy/contact-preferences"
CODE = re.compile(r"^\s*(\d{6})\s*$", re.M)


def _ask(web: Web, browser: TestClient, email: str) -> tuple[int, str, str]:
    form = {"csrf_token": csrf(browser.get(PAGE)), "email": email}
    answer = browser.post(PAGE, data=form)
    page = (
        browser.get(answer.headers.get("location", PAGE)).text
        if answer.status_code == 303
        else answer.text
    )
    return answer.status_code, answer.headers.get("location", ""), page


def _codes_mailed(web: Web) -> list[str]:
    return [m.group(1) for mail in web.outbox() if "contact preferences" in mail
            for m in [CODE.search(mail)] if m]  # fmt: skip


def test_the_code_from_the_mail_opens_the_person_s_preferences(web: Web) -> None:
    browser = web.browser()
    page = browser.get("/privacy").text
    assert f'href="{PAGE}"' in page  # the way in, from the privacy center
    status, location, asked = _ask(web, browser, "Ann.Pref@people.example")
    assert (status, location) == (303, f"{PAGE}/code")
    assert "If this address can receive mail, we sent it a 6-digit code" in asked
    [code] = _codes_mailed(web)
    form = {"csrf_token": csrf(browser.get(f"{PAGE}/code"))}
    wrong = browser.post(
        f"{PAGE}/code", data=form | {"code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert f"{MAX_TRIES - 1} more tries" in wrong.text
    right = browser.post(f"{PAGE}/code", data=form | {"code": code})
    assert right.status_code == 303
    assert right.headers["location"].startswith("/privacy/preferences/")
    preferences = browser.get(right.headers["location"])
    assert preferences.status_code == 200
    assert "Your contact preferences" in preferences.text
    again = browser.post(f"{PAGE}/code", data=form | {"code": code})  # used once only
    assert again.status_code == 400
    with web.platform.sessions() as db:
        actions = db.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("preferences.%")).order_by(AuditEntry.seq)).all()  # fmt: skip
    assert actions == ["preferences.code_sent", "preferences.opened_by_code"]


def test_known_and_unknown_addresses_get_the_same_answer(web: Web) -> None:
    auth = {"Authorization": f"Bearer {web.api_token('consent:write')}"}
    choice = {"subject": "email:known@people.example", "state": "given",
              "purposes": ["email_marketing"], "channel": "api"}  # fmt: skip
    assert web.client.post("/api/v1/consent/events", json=choice, headers=auth).status_code == 201
    known = _ask(web, web.browser(), "known@people.example")
    unknown = _ask(web, web.browser(), "never-seen@people.example")
    hidden = re.compile(r'name="csrf_token" value="[^"]*"')  # each browser's own form token
    assert known[:2] == unknown[:2]
    assert hidden.sub("", known[2]) == hidden.sub("", unknown[2])
    assert len(_codes_mailed(web)) == 2  # every address may keep preferences


def test_an_empty_or_malformed_address_is_said_next_to_the_field(web: Web) -> None:
    for email, words in (("", "Enter your email address"), ("not-an-address", "Check your email")):
        status, _, page = _ask(web, web.browser(), email)
        assert status == 422
        assert f'<p class="field-error" id="email-error">{words}' in page
    assert _codes_mailed(web) == []


def test_asking_many_codes_at_once_mails_at_most_the_hour_s_few(web: Web) -> None:
    now = utcnow()

    def ask(_: int) -> str | None:
        with web.platform.sessions() as db:
            asked = ask_preferences_code(db, keyring=web.platform.keyring,
                                         email="flood@people.example", now=now)  # fmt: skip
            db.commit()
            return asked.code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(ask, range(12)))
    assert sum(code is not None for code in codes) == CODES_PER_HOUR
    with web.platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(PreferenceCode)) == CODES_PER_HOUR
    # The next hour, the address has codes again.
    with web.platform.sessions() as db:
        later = ask_preferences_code(db, keyring=web.platform.keyring,
                                     email="flood@people.example", now=now + timedelta(hours=1))  # fmt: skip
        db.commit()
    assert later.code is not None


def test_tries_at_once_are_all_counted_and_a_right_code_opens_once(web: Web) -> None:
    now = utcnow()
    keyring = web.platform.keyring
    with web.platform.sessions() as db:
        asked = ask_preferences_code(db, keyring=keyring, email="guess@people.example", now=now)
        db.commit()
    assert asked.code is not None
    wrong = f"{(int(asked.code) + 1) % 1_000_000:06d}"

    def attempt(code: str) -> str | None:
        with web.platform.sessions() as db:
            checked = check_preferences_code(db, keyring=keyring, challenge=asked.challenge,
                                             code=code, now=now)  # fmt: skip
            db.commit()
            return checked.subject

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(attempt, [wrong] * 3)) == [None] * 3
        # Right code sent many times at once: it opens exactly once.
        opened = list(pool.map(attempt, [asked.code] * 6))
    assert opened.count("email:guess@people.example") == 1
    with web.platform.sessions() as db:
        row = db.get(PreferenceCode, asked.challenge)
        assert row is not None
        assert row.attempts <= MAX_TRIES
        assert row.used_at is not None


def test_wrong_tries_at_once_lock_the_code_after_the_few_allowed(web: Web) -> None:
    now = utcnow()
    keyring = web.platform.keyring
    with web.platform.sessions() as db:
        asked = ask_preferences_code(db, keyring=keyring, email="brute@people.example", now=now)
        db.commit()
    assert asked.code is not None
    wrong = [f"{(int(asked.code) + n) % 1_000_000:06d}" for n in range(1, 21)]

    def attempt(code: str) -> str | None:
        with web.platform.sessions() as db:
            checked = check_preferences_code(db, keyring=keyring, challenge=asked.challenge,
                                             code=code, now=now)  # fmt: skip
            db.commit()
            return checked.subject

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(attempt, wrong)) == {None}
    assert attempt(asked.code) is None  # locked: even the right code no longer opens
    with web.platform.sessions() as db:
        row = db.get(PreferenceCode, asked.challenge)
        assert row is not None
        assert row.attempts == MAX_TRIES


def test_the_daily_purge_drops_codes_once_their_hour_is_past(web: Web) -> None:
    now = utcnow()
    keyring = web.platform.keyring
    with web.platform.sessions() as db:
        ask_preferences_code(db, keyring=keyring, email="old@people.example",
                             now=now - timedelta(hours=3))  # fmt: skip
        ask_preferences_code(db, keyring=keyring, email="new@people.example", now=now)
        db.commit()
    with web.platform.sessions() as db:
        purge_expired_records(db, ctx=web.platform.context(RequestsContext), now=now)
        db.commit()
        assert db.scalar(select(func.count()).select_from(PreferenceCode)) == 1
