"""The JSON API of rights requests through the real app (`create_app`, FastAPI's TestClient):
public intake, code and status; staff endpoints behind API tokens with scopes; clear JSON
errors; rate limits. Mail goes to the demo outbox (no SMTP server set)."""

from __future__ import annotations

import base64
import re
import shutil
import sqlite3
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.exceptions import StarletteDeprecationWarning

from lawful.auth.models import Role
from lawful.auth.service import create_token, create_user
from lawful.config import Settings
from lawful.requests.models import RightsRequest
from lawful.store.models import utcnow
from lawful.web.app import create_app

with warnings.catch_warnings():
    # Starlette asks for `httpx2`, not yet a dependency; the client works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
KEY = base64.b64encode(bytes(range(32))).decode()
_CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def platform(self) -> Any:
        return self.client.app.state.platform  # type: ignore[attr-defined]

    def post(self, path: str, body: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return self.client.post(f"/api/v1{path}", json=body or {}, headers=headers)

    def get(self, path: str, bearer: str | None = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return self.client.get(f"/api/v1{path}", params=params, headers=headers)

    def code(self, to: str) -> str:
        """The code in the newest mail to `to` in the outbox."""
        self.platform.jobs.join()
        folder = self.platform.settings.data_dir / "outbox"
        mails = [p.read_text() for p in sorted(folder.glob("*code*.eml"))]
        found = [_CODE.search(m) for m in mails if f"To: {to}" in m]
        match = found[-1]
        assert match is not None
        return match.group(1)

    def token(self, *scopes: str) -> str:
        with self.platform.sessions() as session:
            maker = create_user(
                session,
                keyring=self.platform.keyring,
                name="Maker",
                role=Role.admin,
                email=f"maker-{'-'.join(s.replace(':', '-') for s in scopes)}@staff.example",
                password="correct horse battery staple",
                actor="test",
            )
            now = utcnow()
            new = create_token(
                session,
                name="test",
                scopes=scopes,
                created_by=maker,
                expires_at=now + timedelta(days=1),
                now=now,
            )
            session.commit()
        return new.secret

    def stored(self) -> int:
        with self.platform.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(RightsRequest)) or 0)


@pytest.fixture
def start(tmp_path: Path, data_dir: Path, sqlite_url: str) -> Iterator[Callable[..., Api]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> Api:
        settings = Settings(
            **{
                "data_dir": tmp_path / "lawful",
                "database_url": sqlite_url,
                "encryption_key": KEY,
                "map_path": EXAMPLE,
                "datastore_dir": data_dir,
                "smtp_host": None,
                "rate_limit_per_minute": 10_000,
                "rate_limit_burst": 10_000,
                **overrides,
            }
        )
        client = TestClient(create_app(settings), base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        return Api(client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(start: Callable[..., Api]) -> Api:
    return start()


def test_a_person_makes_a_request_confirms_the_code_and_follows_it(api: Api) -> None:
    made = api.post("/requests", {"type": "access", "email": "Ann@Example.org", "country": "FR"})
    assert made.status_code == 201, made.text
    body = made.json()
    reference, token = body["reference"], body["status_token"]
    assert (body["status"], body["verification"]) == ("verifying", "email_code")

    wrong = api.post(f"/requests/{reference}/verify", {"token": token, "code": "12345x"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "code_rejected"
    assert wrong.json()["error"]["field"] == "code"
    code = api.code("ann@example.org")
    right = api.post(f"/requests/{reference}/verify", {"token": token, "code": code})
    assert right.json() == {"reference": reference, "status": "verified"}

    status = api.client.get(f"/api/v1/requests/{reference}", headers={"X-Status-Token": token})
    assert status.status_code == 200
    assert status.json()["status"] == "verified"
    assert [t["action"] for t in status.json()["timeline"]][:2] == ["received", "code_sent"]
    hidden = api.client.get(
        f"/api/v1/requests/{reference}", headers={"X-Status-Token": "not-the-token"}
    )
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"


def test_the_status_api_refuses_a_token_in_the_address_and_says_to_send_the_header(
    api: Api,
) -> None:
    body = {"type": "erasure", "email": "cy@example.org", "country": "FR"}
    made = api.post("/requests", body).json()
    reference, token = made["reference"], made["status_token"]
    in_address = api.get(f"/requests/{reference}", token=token)
    assert in_address.status_code == 400
    error = in_address.json()["error"]
    assert (error["code"], error["field"]) == ("token_in_url", "token")
    assert "X-Status-Token" in error["message"]
    both = api.client.get(
        f"/api/v1/requests/{reference}?token={token}", headers={"X-Status-Token": token}
    )
    assert both.status_code == 400  # never read from the address, even beside the header
    missing = api.get(f"/requests/{reference}")
    assert (missing.status_code, missing.json()["error"]["field"]) == (422, "X-Status-Token")


def test_five_wrong_codes_over_the_api_lock_the_request(api: Api) -> None:
    body = {"type": "erasure", "email": "bo@example.org", "country": "FR"}
    made = api.post("/requests", body).json()
    reference, token = made["reference"], made["status_token"]
    code = api.code("bo@example.org")
    wrong = {"token": token, "code": f"{(int(code) + 1) % 10**6:06d}"}
    statuses = [api.post(f"/requests/{reference}/verify", wrong).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]  # each wrong try was stored, though refused
    locked = api.post(f"/requests/{reference}/verify", {"token": token, "code": code})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "code_locked"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "delete_me", "email": "a@example.org", "country": "FR"}, "type"),
        ({"type": "access", "email": "not-an-email", "country": "FR"}, "email"),
        ({"type": "access", "email": "a@example.org", "country": "F"}, "country"),
        ({"type": "access", "email": "a@example.org", "country": "FR", "colour": "red"}, "colour"),
        ({"type": "access", "country": "FR"}, "email"),
    ],
    ids=["unknown type", "malformed email", "bad country", "unknown field", "missing email"],
)
def test_bad_input_gets_a_clear_json_error_and_nothing_is_stored(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = api.post("/requests", body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["field"] == field
    assert error["message"]
    assert api.stored() == 0


def test_an_id_document_that_is_too_big_or_not_an_image_is_refused(
    start: Callable[..., Api],
) -> None:
    api = start(verification_levels={"erasure": "id_document"})
    made = api.post(
        "/requests", {"type": "erasure", "email": "cy@example.org", "country": "FR"}
    ).json()
    path = f"/api/v1/requests/{made['reference']}/document"
    form = {"token": made["status_token"]}
    too_big = api.client.post(
        path, data=form, files={"file": ("id.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024))}
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "upload_too_large"
    wrong = api.client.post(
        path, data=form, files={"file": ("id.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "document"
    good = api.client.post(
        path, data=form, files={"file": ("id.pdf", b"%PDF-1.4 scan", "application/pdf")}
    )
    assert good.status_code == 201


def test_staff_endpoints_need_a_token_with_the_right_scope(api: Api, data_dir: Path) -> None:
    made = api.post(
        "/requests", {"type": "access", "email": "dee@example.org", "country": "FR"}
    ).json()
    reference = made["reference"]
    code = {"token": made["status_token"], "code": api.code("dee@example.org")}
    api.post(f"/requests/{reference}/verify", code)
    reader, writer = api.token("requests:read"), api.token("requests:read", "requests:write")

    assert api.get("/staff/requests").status_code == 401
    assert api.post(f"/staff/requests/{reference}/approve", bearer=reader).status_code == 403
    queue = api.get("/staff/requests", bearer=reader, status="verified", type="access")
    assert [i["reference"] for i in queue.json()["items"]] == [reference]
    assert api.get("/staff/requests", bearer=reader, due="later").json()["error"]["field"] == "due"

    detail = api.get(f"/staff/requests/{reference}", bearer=reader).json()
    assert detail["person"]["email"] == "dee@example.org"
    assert "identity_not_verified" in detail["denial_reasons"]
    bad_denial = api.post(
        f"/staff/requests/{reference}/deny", {"reason": "not_portable"}, bearer=writer
    )
    assert bad_denial.status_code == 422
    assert bad_denial.json()["error"]["field"] == "reason"

    approved = api.post(f"/staff/requests/{reference}/approve", bearer=writer)
    assert approved.status_code == 200
    api.platform.jobs.join()  # the engine runs on the app's background thread
    after = api.get(f"/staff/requests/{reference}", bearer=reader).json()
    assert after["status"] == "completed"
    assert [e["action"] for e in after["timeline"]].count("approved") == 1
    assert after["timeline"][[e["action"] for e in after["timeline"]].index("approved")][
        "actor"
    ].startswith("token:")
    again = api.post(f"/staff/requests/{reference}/approve", bearer=writer)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_staff_extend_with_reasons_over_the_api(api: Api) -> None:
    reference = api.post(
        "/requests", {"type": "access", "email": "eve@example.org", "country": "FR"}
    ).json()["reference"]
    writer = api.token("requests:write", "requests:read")
    no_reason = api.post(
        f"/staff/requests/{reference}/extend", {"amount": 1, "reason": ""}, bearer=writer
    )
    assert no_reason.status_code == 422
    extended = api.post(
        f"/staff/requests/{reference}/extend",
        {"amount": 2, "reason": "Archived systems"},
        bearer=writer,
    )
    assert extended.status_code == 200
    assert extended.json()["extended"] is True


def test_the_public_endpoints_are_rate_limited(start: Callable[..., Api]) -> None:
    api = start(rate_limit_burst=2, rate_limit_per_minute=1)
    body = {"type": "access", "email": "fay@example.org", "country": "FR"}
    codes = [api.post("/requests", body).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    refused = api.post("/requests", body)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1


def test_staff_record_a_manual_forward_over_the_api_and_the_request_then_closes(
    start: Callable[..., Api], data_dir: Path, tmp_path: Path
) -> None:
    company = tmp_path / "company"
    shutil.copytree(EXAMPLE.parent, company)
    yaml = company / "lawful.yaml"
    yaml.write_text(
        yaml.read_text().replace(
            "forward: {method: email, address: privacy-requests@lumiere-energie.example}",
            "forward: {method: opendsr, address: https://lumiere.example/opendsr}",
        )
    )
    api = start(map_path=yaml)
    with sqlite3.connect(data_dir / "contact_eu.sqlite") as db:
        [(email,)] = db.execute(
            "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1"
        ).fetchall()
    made = api.post("/requests", {"type": "erasure", "email": email, "country": "FR"}).json()
    reference = made["reference"]
    code = {"token": made["status_token"], "code": api.code(email.lower())}
    api.post(f"/requests/{reference}/verify", code)
    writer = api.token("requests:read", "requests:write")
    api.post(f"/staff/requests/{reference}/approve", bearer=writer)
    api.platform.jobs.join()
    assert api.get(f"/staff/requests/{reference}", bearer=writer).json()["status"] == "running"
    path = f"/staff/requests/{reference}/forwards"
    body = {"channel": "portal", "sent": "the portal's form", "sent_at": "2099-01-01T00:00:00Z"}
    assert api.post(f"{path}/lumiere", body, bearer=writer).status_code == 422  # future
    body["sent_at"] = utcnow().isoformat()
    assert api.post(f"{path}/acme", body, bearer=writer).status_code == 404
    assert api.post(f"{path}/lumiere", body, bearer=writer).status_code == 200
    assert api.post(f"{path}/lumiere", body, bearer=writer).status_code == 409  # once
    api.platform.jobs.join()
    after = api.get(f"/staff/requests/{reference}", bearer=writer).json()
    assert after["status"] == "forwarded"
