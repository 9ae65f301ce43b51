"""What a person types reaches the platform as typed, or is refused saying why: forms that
are not UTF-8 get a 400 naming the field (never a mail to `��@x.example`), and addresses
no one can write to are refused at intake, by the form and by the API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lawful.auth.errors import InvalidStaffInputError
from lawful.auth.models import Role
from lawful.requests.models import RightsRequest

from .conftest import Web, csrf

BOUNDARY = "lawful-edge-boundary"


def _stored(web: Web) -> int:
    with web.platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(RightsRequest)) or 0


def _multipart(fields: dict[str, bytes]) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    document = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="document"; '
                'filename="id.png"\r\nContent-Type: image/png\r\n\r\n').encode()  # fmt: skip
    return b"".join(parts) + document + b"\x89PNG\xff\xfe\r\n" + f"--{BOUNDARY}--\r\n".encode()


def test_a_multipart_form_with_bytes_that_are_not_utf8_is_refused_naming_the_field(
    web: Web,
) -> None:
    token = csrf(web.client.get("/privacy")).encode()
    body = _multipart({"csrf_token": token, "request_type": b"access",
                       "email": b"\xff\xfe@x.example", "country": b"FR"})  # fmt: skip
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    response = web.client.post("/privacy/requests", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert "The form field &#39;email&#39; is not valid UTF-8 text" in response.text
    web.settle()
    assert _stored(web) == 0
    assert web.outbox() == []


def test_a_url_encoded_form_with_bytes_that_are_not_utf8_is_refused(web: Web) -> None:
    token = csrf(web.client.get("/privacy"))
    body = f"csrf_token={token}&request_type=access&email=%FF%FE%40x.example&country=FR"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = web.client.post("/privacy/requests", content=body, headers=headers)
    assert response.status_code == 400
    assert "email" in response.text
    assert "UTF-8" in response.text
    assert _stored(web) == 0


def test_a_file_s_bytes_are_not_taken_for_text(web: Web) -> None:
    token = csrf(web.client.get("/privacy")).encode()
    body = _multipart({"csrf_token": token, "request_type": b"access",
                       "email": "zoé@people.example".encode(), "country": b"FR"})  # fmt: skip
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    response = web.client.post("/privacy/requests", content=body, headers=headers)
    assert response.status_code != 400, response.text  # the PNG's \xff\xfe is not text


@pytest.mark.parametrize("email", ["<script>@x.example", "a@-x.example", "a@x..example"])
def test_addresses_no_one_can_write_to_are_refused_by_form_and_api(web: Web, email: str) -> None:
    form = {"request_type": "access", "email": email, "country": "FR",
            "csrf_token": csrf(web.client.get("/privacy"))}  # fmt: skip
    page = web.client.post("/privacy/requests", data=form, files={"document": ("", b"")})
    assert page.status_code == 422
    assert 'id="email-error"' in page.text
    api = web.client.post("/api/v1/requests", json={"type": "access", "email": email, "country": "FR"})  # fmt: skip
    assert api.status_code == 422
    assert api.json()["error"]["field"] == "email"
    web.settle()
    assert _stored(web) == 0
    assert web.outbox() == []


@pytest.mark.parametrize("email", ["<script>@staff.example", "a@-staff.example"])
def test_a_staff_account_with_an_address_no_one_can_write_to_is_refused(
    web: Web, email: str
) -> None:
    with pytest.raises(InvalidStaffInputError, match="is not an email address") as refused:
        web.staff(Role.admin, email=email)
    assert refused.value.field == "email"
