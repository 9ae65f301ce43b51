"""Security of the privacy center in the browser: a download link works once, and only in
the browser that entered the code; five wrong codes lock, and the page says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Person, Service, Staff, an_applicant_known_only_to_recruitment


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_download_link_fails_in_another_browser_and_after_its_first_use(
    service: Service,
    person: Callable[[str], Person],
    new_page: Callable[[], Page],
    privacy_officer: Staff,
    screenshot: Callable[[Page, str], Path],
) -> None:
    _, email = an_applicant_known_only_to_recruitment(service, skip=1)
    applicant = person(email)
    reference = applicant.make_request("access")
    applicant.confirm_identity()
    privacy_officer.approve(reference)
    applicant.open_download_page()
    link = applicant.download_link()

    stranger = new_page()
    stranger.goto("/privacy")  # a browser with a visitor cookie of its own
    refused = stranger.goto(link)
    assert refused is not None
    assert refused.status == 403
    expect(stranger.locator("body")).to_contain_text(
        "only in the browser where the code was entered"
    )
    screenshot(stranger, "download-link-other-browser")

    assert applicant.open_link(link).startswith(b"PK")  # the stranger's try did not use it up
    used = applicant.page.goto(link)
    assert used is not None
    assert used.status == 410
    expect(applicant.page.locator("body")).to_contain_text("This download link was already used")
    screenshot(applicant.page, "download-link-used")


def test_five_wrong_codes_lock_the_request_and_the_page_says_so(
    service: Service, person: Callable[[str], Person], screenshot: Callable[[Page, str], Path]
) -> None:
    _, email = an_applicant_known_only_to_recruitment(service, skip=2)
    someone = person(email)
    someone.make_request("access")
    code = someone.verification_code()
    alert = someone.page.get_by_role("alert")

    for left in ("4 more tries", "3 more tries", "2 more tries", "1 more try"):
        someone.enter_code(wrong(code))
        expect(alert).to_contain_text(f"That code is not right. You have {left}.")
    someone.enter_code(wrong(code))
    expect(alert).to_contain_text("entered wrongly 5 times, so it is locked")
    screenshot(someone.page, "verification-locked")

    someone.enter_code(code)  # even the right code, now
    expect(alert).to_contain_text("so it is locked")
    expect(someone.page.locator("dl.facts")).to_contain_text("Waiting for your code")


def test_five_wrong_download_codes_lock_the_download_and_the_page_says_so(
    service: Service, person: Callable[[str], Person], privacy_officer: Staff
) -> None:
    _, email = an_applicant_known_only_to_recruitment(service, skip=3)
    applicant = person(email)
    reference = applicant.make_request("access")
    applicant.confirm_identity()
    privacy_officer.approve(reference)
    applicant.open_download_page()
    code = applicant.download_code()
    alert = applicant.page.get_by_role("alert")

    for _ in range(5):
        applicant.page.fill("#code", wrong(code))
        applicant.page.get_by_role("button", name="Download", exact=True).click()
    expect(alert).to_contain_text("entered wrongly 5 times, so it is locked")
    applicant.page.fill("#code", code)
    applicant.page.get_by_role("button", name="Download", exact=True).click()
    expect(alert).to_contain_text("so it is locked")
