"""The privacy center's new steps in Chromium: every form problem shown at once beside its
field, what happens next after each step, a confirmation once the code is verified, and the
way into the preference center by a code sent to the address."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from ..support.mail import code_in
from .conftest import Person, Service


def test_an_empty_form_shows_every_problem_then_each_step_says_what_happens_next(
    service: Service, new_page: Callable[[], Page]
) -> None:
    page = new_page()
    page.goto("/privacy")
    page.get_by_role("button", name="Send my request").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check what you entered")
    for field, words in (("request_type", "Choose what you would like to do."),
                         ("email", "Enter your email address"),
                         ("country", "Choose the country where you live.")):  # fmt: skip
        expect(page.locator(f"#{field}-error")).to_contain_text(words)
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link", name="Enter your email address", exact=False).click()
    person = Person(page, f"next-{uuid.uuid4().hex[:8]}@people.example", service.inbox)
    person.make_request("objection_direct_marketing")
    expect(page.locator(".next-step")).to_be_visible()
    person2 = Person(new_page(), f"verify-{uuid.uuid4().hex[:8]}@people.example", service.inbox)
    person2.make_request("access")
    expect(person2.page.locator(".next-step")).to_contain_text("Enter the code we sent")
    person2.enter_code(person2.verification_code())
    confirmed = person2.page.get_by_role("status")
    expect(confirmed).to_contain_text("Thank you: your request is confirmed")
    expect(confirmed).to_contain_text("Our privacy team now looks at your request")


def test_a_person_opens_their_preferences_from_the_privacy_center_by_a_mailed_code(
    service: Service, new_page: Callable[[], Page]
) -> None:
    email = f"prefs-{uuid.uuid4().hex[:8]}@people.example"
    page = new_page()
    page.goto("/privacy")
    page.get_by_role("link", name="Contact preferences").click()
    page.fill("#email", email)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("status")).to_contain_text("If this address can receive mail")
    mail = service.inbox.wait_for(email, "Your code to open your contact preferences")
    page.fill("#code", code_in(service.inbox.text(mail)))
    page.get_by_role("button", name="Open my preferences").click()
    expect(page.get_by_role("heading", name="Your contact preferences")).to_be_visible()
    assert "/privacy/preferences/" in page.url
