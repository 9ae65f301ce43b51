"""The privacy center as a person without JavaScript uses it: plain forms, plain posts."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import httpx
from sqlalchemy import func, select

from lawful.auth.models import Role
from lawful.law.requests import RequestType
from lawful.requests.models import RightsRequest

from .conftest import Web, csrf

PERSON = "ann.martin@people.example"
_STATUS = re.compile(r"/privacy/requests/([A-Z2-7]+)\?token=([^&\"]+)")


def _code(mail: str) -> str:
    found = re.search(r"\b(\d{6})\b", mail)
    assert found, mail
    return found.group(1)


def _submit(web: Web, client: httpx.Client | None = None, **fields: str) -> httpx.Response:
    client = client or web.client
    form = {"request_type": "access", "email": PERSON, "country": "FR", **fields}
    form["csrf_token"] = csrf(client.get("/privacy"))
    # A browser sends the form as multipart (it has a file input), with an empty file part.
    response = client.post("/privacy/requests", data=form, files={"document": ("", b"")})
    web.settle()
    return response


def _requests_stored(web: Web) -> int:
    with web.platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(RightsRequest)) or 0


def test_the_form_offers_every_request_type_as_a_plain_radio_button(web: Web) -> None:
    page = web.client.get("/privacy")
    assert page.status_code == 200
    assert "<script" not in page.text
    assert (
        '<form method="post" action="/privacy/requests" enctype="multipart/form-data"' in page.text
    )
    for request_type in RequestType:
        assert f'type="radio" id="type-{request_type.value}" name="request_type"' in page.text
    assert 'value="US"' in page.text
    assert 'name="region"' in page.text


def test_a_request_sent_with_plain_posts_reaches_its_reference_and_mails_a_code(web: Web) -> None:
    response = _submit(web, name="Ann Martin")
    assert response.status_code == 303
    location = response.headers["location"]
    reference, _ = _STATUS.search(location).groups()  # type: ignore[union-attr]
    page = web.client.get(location)
    assert page.status_code == 200
    assert "<script" not in page.text
    assert f'<span class="reference">{reference}</span>' in page.text
    assert "Your request is registered" in page.text
    assert f'action="/privacy/requests/{reference}/verify"' in page.text
    mails = web.outbox()
    assert [reference in mail for mail in mails] == [True, True]  # receipt, then the code
    assert _code(mails[-1])
    with web.platform.sessions() as session:
        stored = session.scalars(select(RightsRequest)).one()
        assert stored.channel == "web"
        assert PERSON.encode() not in stored.email_sealed  # sealed, not in clear


def test_the_code_from_the_mail_confirms_the_request(web: Web) -> None:
    location = _submit(web).headers["location"]
    reference, token = _STATUS.search(location).groups()  # type: ignore[union-attr]
    form = {"csrf_token": csrf(web.client.get(location)), "token": token}
    code = _code(web.outbox()[-1])
    wrong = web.client.post(f"/privacy/requests/{reference}/verify", data=form | {"code": "000000"})
    assert wrong.status_code == 400
    assert "4 more tries" in wrong.text
    right = web.client.post(f"/privacy/requests/{reference}/verify", data=form | {"code": code})
    assert right.status_code == 303
    confirmed = web.client.get(right.headers["location"]).text
    assert "Identity confirmed" in confirmed
    # A confirmation, and what happens next (an access request waits for staff).
    assert "Thank you: your request is confirmed" in confirmed
    assert "Our privacy team now looks at your request" in confirmed
    # The page's own address, reloaded later, says what happens next without the thanks.
    later = web.client.get(location).text
    assert "Thank you" not in later
    assert '<p class="next-step">Our privacy team now looks at your request' in later


def test_a_new_request_says_what_happens_next(web: Web) -> None:
    page = web.client.get(_submit(web).headers["location"]).text
    assert "Your request is registered" in page
    assert '<p class="next-step">Enter the code we sent to your email address' in page


def test_an_unknown_request_type_is_refused_and_nothing_is_stored(web: Web) -> None:
    response = _submit(web, request_type="telepathy")
    assert response.status_code == 422
    assert 'aria-invalid="true" aria-describedby="request_type-error"' in response.text
    assert PERSON in response.text  # what the person typed is kept in the form
    assert _requests_stored(web) == 0


def test_an_empty_form_shows_every_problem_at_once_in_plain_words_next_to_its_field(
    web: Web,
) -> None:
    response = _submit(web, request_type="", email="", country="", phone="not a phone")
    assert response.status_code == 422
    page = response.text
    for field, words in (
        ("request_type", "Choose what you would like to do."),
        ("email", "Enter your email address: we send your code and our answer there."),
        ("country", "Choose the country where you live."),
        ("phone", "This is not a phone number"),
    ):
        assert f'<p class="field-error" id="{field}-error">{words}' in page, field
        assert f'aria-describedby="{field}-error"' in page
    assert page.count('<li><a href="#') == 4  # the summary lists all four, linked to them
    assert "is not a request type" not in page  # the API's words, not the form's
    assert "ISO 3166" not in page
    assert "&#39;&#39;" not in page  # no quoted empty value
    assert _requests_stored(web) == 0


def test_a_malformed_email_is_refused_next_to_the_field(web: Web) -> None:
    response = _submit(web, email="ann.martin-at-people")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert _requests_stored(web) == 0


def test_a_status_page_needs_the_token_given_at_intake(web: Web) -> None:
    location = _submit(web).headers["location"]
    reference, _ = _STATUS.search(location).groups()  # type: ignore[union-attr]
    guessed = web.client.get(f"/privacy/requests/{reference}?token=not-the-right-token")
    assert guessed.status_code == 404
    assert "token" in guessed.text


def test_the_person_can_cancel_their_request(web: Web) -> None:
    location = _submit(web).headers["location"]
    reference, token = _STATUS.search(location).groups()  # type: ignore[union-attr]
    form = {"csrf_token": csrf(web.client.get(location)), "token": token}
    assert web.client.post(f"/privacy/requests/{reference}/cancel", data=form).status_code == 303
    assert "Cancelled" in web.client.get(location).text


def test_the_notice_generated_from_the_map_is_served(web: Web) -> None:
    page = web.client.get("/privacy/notice")
    assert page.status_code == 200
    assert "<h1>Privacy notice</h1>" in page.text
    assert 'id="your-rights"' in page.text
    assert "<style" not in page.text  # the site's stylesheet only (CSP: style-src 'self')


def _someone_in(company_files: Path) -> str:
    with sqlite3.connect(company_files / "crm.sqlite") as db:
        (email,) = db.execute("SELECT email FROM contacts ORDER BY contact_id LIMIT 1").fetchone()
    return str(email)


def test_the_package_downloads_once_and_only_in_the_browser_that_entered_the_code(
    make_web: Callable[..., Web], company_files: Path
) -> None:
    web = make_web(datastore_dir=company_files)
    email = _someone_in(company_files)
    location = _submit(web, email=email).headers["location"]
    reference, token = _STATUS.search(location).groups()  # type: ignore[union-attr]
    form = {"csrf_token": csrf(web.client.get(location)), "token": token}
    code = _code(web.outbox()[-1])
    web.client.post(f"/privacy/requests/{reference}/verify", data=form | {"code": code})
    web.settle()
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get(f"/admin/requests/{reference}")
    officer.post(f"/admin/requests/{reference}/approve", data={"csrf_token": csrf(page)})
    web.settle()
    assert "Your data is ready" in web.client.get(location).text

    web.client.post(f"/privacy/requests/{reference}/download-code", data=form)
    code = _code(web.outbox()[-1])
    link = web.client.post(f"/privacy/requests/{reference}/download", data=form | {"code": code})
    assert link.status_code == 303
    url = link.headers["location"]
    elsewhere = web.browser()
    elsewhere.get("/privacy")  # another browser, with its own session cookie
    assert elsewhere.get(url).status_code == 403
    package = web.client.get(url)
    assert package.status_code == 200
    assert package.headers["content-type"] == "application/zip"
    assert "attachment" in package.headers["content-disposition"]
    with zipfile.ZipFile(BytesIO(package.content)) as archive:
        assert "data.json" in archive.namelist()
        assert email in archive.read("data.json").decode()
    assert web.client.get(url).status_code == 410  # used once
