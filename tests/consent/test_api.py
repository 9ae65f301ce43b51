"""The consent API and pages through the real app (in-process HTTP client, SQLite store
built by the migrations): checks, RFC 8058 one-click unsubscribe, the preference center,
receipts, notices, the banner's endpoints, and bad input refused with nothing stored."""

from __future__ import annotations

import base64
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from lawful.auth.models import ApiToken
from lawful.auth.service import token_digest
from lawful.config import Settings
from lawful.consent.links import LinkKind, make_link_token
from lawful.consent.models import ConsentEvent
from lawful.consent.subjects import Subject
from lawful.platform import RunningPlatform as Platform
from lawful.store.models import utcnow
from lawful.web.app import create_app

from .conftest import SHOP
from .server import free_port, serve

KEY = base64.b64encode(bytes(range(32))).decode()


@dataclass
class Server:
    app: FastAPI
    url: str

    @property
    def platform(self) -> Platform:
        platform: Platform = self.app.state.platform
        return platform


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[Server]:
    """The app on a real port, with a fresh store built by the migrations."""
    shutil.copy(sqlite_template, tmp_path / "lawful.db")
    port = free_port()
    settings = Settings(map_path=SHOP, data_dir=tmp_path,
                        public_url=f"http://127.0.0.1:{port}", encryption_key=KEY,
                        rate_limit_per_minute=10_000, rate_limit_burst=10_000)  # fmt: skip
    app = create_app(settings)
    with serve(app, port) as url:
        yield Server(app, url)


class Client(httpx.Client):
    """An HTTP client that can also reach the running app's store (to make tokens, count)."""

    def __init__(self, server: Server) -> None:
        super().__init__(base_url=server.url)
        self.platform = server.platform


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server) as http:
        yield http


def bearer(client: Client, *scopes: str) -> dict[str, str]:
    secret = f"lawful_test_{uuid.uuid4().hex}"
    with client.platform.sessions() as db:
        db.add(
            ApiToken(
                name="tests",
                token_hash=token_digest(secret),
                prefix=secret[:16],
                scopes=list(scopes),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        db.commit()
    return {"Authorization": f"Bearer {secret}"}


def events(client: Client) -> int:
    with client.platform.sessions() as db:
        return db.scalar(select(func.count()).select_from(ConsentEvent)) or 0


def check(
    client: Client,
    auth: dict[str, str],
    subject: str,
    purpose: str = "newsletter",
    channel: str = "email",
) -> dict[str, Any]:
    asked = {"subject": subject, "purpose": purpose, "channel": channel}
    response = client.post("/api/v1/consent/check", json=asked, headers=auth)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def give(
    client: Client, auth: dict[str, str], subject: str = "email:ann@example.org"
) -> dict[str, Any]:
    body = {
        "subject": subject,
        "state": "given",
        "purposes": ["newsletter"],
        "channel": "web_form",
        "method": "checkbox",
        "evidence": {"form": {"label": "Send me offers"}, "ip": "192.0.2.9"},
    }
    response = client.post("/api/v1/consent/events", json=body, headers=auth)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_the_check_api_answers_with_reason_and_deciding_event(client: Client) -> None:
    read, write = bearer(client, "consent:read"), bearer(client, "consent:write")
    assert check(client, read, "ann@example.org")["reason"] == "no_consent"
    recorded = give(client, write)
    answer = check(client, read, "email:ANN@example.org")
    assert answer["allowed"] is True
    assert answer["reason"] == "consent_given"
    assert answer["event"]["id"] == recorded["events"][0]["id"]
    assert "consent" in answer["message"]


def test_the_api_refuses_without_a_token_or_the_right_scope(client: Client) -> None:
    asked = {"subject": "ann@example.org", "purpose": "newsletter", "channel": "email"}
    assert client.post("/api/v1/consent/check", json=asked).status_code == 401
    write_only = bearer(client, "consent:write")
    assert client.post("/api/v1/consent/check", json=asked, headers=write_only).status_code == 403
    body = {
        "subject": "ann@example.org",
        "state": "given",
        "purposes": ["newsletter"],
        "channel": "api",
    }
    assert client.post("/api/v1/consent/events", json=body).status_code == 401
    assert events(client) == 0


def test_one_click_unsubscribe_stops_the_channel_at_once(client: Client) -> None:
    read, write = bearer(client, "consent:read"), bearer(client, "consent:write")
    give(client, write)
    made = client.post(
        "/api/v1/consent/links",
        headers=write,
        json={"subject": "ann@example.org", "kind": "unsubscribe", "purpose": "newsletter"},
    )
    assert made.status_code == 201
    headers = made.json()["headers"]
    matched = re.fullmatch(
        r"<(http://127\.0\.0\.1:\d+/u/[A-Za-z0-9_-]+)>, <mailto:privacy@lanternfish\.example\?subject=unsubscribe>",
        headers["List-Unsubscribe"],
    )
    assert matched is not None
    url = matched.group(1)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # What a mail provider sends (RFC 8058 §3.2): no cookie, no CSRF token, form-encoded body.
    response = client.post(
        url,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    answer = check(client, read, "ann@example.org")
    assert (answer["allowed"], answer["reason"]) == (False, "withdrawn")
    # only that channel stops: the newsletter by text message still rests on the consent
    assert check(client, read, "ann@example.org", channel="sms")["reason"] == "consent_given"


def test_opening_an_unsubscribe_link_only_asks(client: Client) -> None:
    write = bearer(client, "consent:write")
    url = client.post(
        "/api/v1/consent/links",
        headers=write,
        json={"subject": "ann@example.org", "kind": "unsubscribe"},
    ).json()["url"]
    page = client.get(url)
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    assert events(client) == 0


@pytest.mark.parametrize(
    ("path", "status"), [("/u/forged", 403), ("/privacy/preferences/forged", 403)]
)
def test_a_forged_link_is_refused_with_a_page_that_says_what_to_do(
    client: Client, path: str, status: int
) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status
    assert "ask us for a new one" in response.text
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == status
    assert events(client) == 0


def test_an_expired_preference_link_is_refused(client: Client) -> None:
    keyring = client.platform.keyring
    old = make_link_token(
        keyring=keyring,
        kind=LinkKind.preferences,
        subject=Subject("email", "ann@example.org"),
        now=utcnow() - timedelta(days=40),
    )
    response = client.get(f"/privacy/preferences/{old}", headers={"Accept": "text/html"})
    assert response.status_code == 410
    assert "expired on" in response.text


def test_the_preference_center_works_as_a_plain_form(client: Client) -> None:
    read, write = bearer(client, "consent:read"), bearer(client, "consent:write")
    give(client, write)
    url = client.post(
        "/api/v1/consent/links",
        headers=write,
        json={"subject": "ann@example.org", "kind": "preferences"},
    ).json()["url"]
    page = client.get(url)
    assert page.status_code == 200
    assert "<script" not in page.text
    assert 'value="purpose:newsletter:email" checked' in page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    csrf = found.group(1)
    shown = re.findall(r'name="shown" value="([^"]+)"', page.text)
    keep_on = [key for key in shown if key not in ("purpose:newsletter:email", "channel:sms")]
    saved = client.post(
        url, data={"csrf_token": csrf, "shown": shown, "on": keep_on}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert check(client, read, "ann@example.org")["reason"] == "withdrawn"
    assert (
        check(client, read, "ann@example.org", purpose="calls", channel="phone")["reason"]
        == "legal_basis"
    )
    again = client.get(saved.headers["location"])
    assert "Your choices are saved" in again.text
    assert 'value="channel:sms">' in again.text
    receipts = re.findall(r'href="(/privacy/preferences/[^"]+/receipts/[0-9a-f]{32})"', again.text)
    own = client.get(receipts[0])
    assert own.status_code == 200
    assert own.json()["pii_principal_id"] == "email:ann@example.org"


def test_staff_download_receipts_in_both_formats(client: Client) -> None:
    read, write = bearer(client, "consent:read"), bearer(client, "consent:write")
    uid = give(client, write)["events"][0]["id"]
    iso = client.get(f"/api/v1/consent/receipts/{uid}", headers=read)
    kantara = client.get(f"/api/v1/consent/receipts/{uid}?format=kantara", headers=read)
    assert iso.json()["record_id"] == uid
    assert kantara.json()["version"] == "KI-CR-v1.1.0"
    assert "attachment" in kantara.headers["content-disposition"]
    assert client.get(f"/api/v1/consent/receipts/{'0' * 32}", headers=read).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"subject": "ann@example.org", "state": "given", "purposes": ["newsletter", "nope"], "channel": "api"}, "purpose"),
    ({"subject": "ann@", "state": "given", "purposes": ["newsletter"], "channel": "api"}, "subject"),
    ({"subject": "ann@example.org", "state": "maybe", "purposes": ["newsletter"], "channel": "api"}, "state"),
    ({"subject": "ann@example.org", "state": "given", "purposes": ["newsletter"], "channel": "fax"}, "channel"),
    ({"subject": "ann@example.org", "state": "given", "purposes": ["newsletter"], "channel": "api", "at": "0001-01-01T00:00:00Z"}, "at"),
    ({"subject": "ann@example.org", "state": "given", "purposes": ["newsletter"], "channel": "api", "at": "1969-12-31T23:59:59Z"}, "at"),
    ({"subject": "ann@example.org", "state": "given", "purposes": ["newsletter"], "channel": "api", "at": "2999-01-01T00:00:00Z"}, "at"),
    ({"subject": "<script>@x.example", "state": "given", "purposes": ["newsletter"], "channel": "api"}, "subject"),
    ({"subject": "email:a@-x.example", "state": "given", "purposes": ["newsletter"], "channel": "api"}, "subject"),
])  # fmt: skip
def test_bad_input_is_refused_clearly_and_nothing_is_stored(
    client: Client, body: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/api/v1/consent/events", json=body, headers=bearer(client, "consent:write")
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["field"] == field
    assert error["message"]
    assert events(client) == 0


def test_a_consent_dated_before_1970_is_refused_with_a_message_that_says_the_range(
    client: Client,
) -> None:
    write = bearer(client, "consent:write")
    body = {"subject": "ann@example.org", "state": "given", "purposes": ["newsletter"],
            "channel": "api", "at": "1970-01-01T00:00:00Z"}  # fmt: skip
    assert client.post("/api/v1/consent/events", json=body, headers=write).status_code == 201
    refused = client.post("/api/v1/consent/events", json=body | {"at": "0001-01-01"}, headers=write)
    assert "from 1970-01-01 on" in refused.json()["error"]["message"]
    read = bearer(client, "consent:read")
    assert check(client, read, "ann@example.org")["event"]["at"].startswith("1970-01-01")


@pytest.mark.parametrize("flag", [0, 1, "true", "yes", None])
def test_booleans_are_strict_json_booleans(client: Client, flag: int | str | None) -> None:
    write = bearer(client, "consent:write")
    notice = client.post("/api/v1/consent/notices", headers=write, json={"material": flag})
    assert notice.status_code == 422, notice.text
    assert notice.json()["error"]["field"] == "material"
    choice = {"browser_id": "0123456789abcdef0123", "choices": {"advertising": flag},
              "action": "save"}  # fmt: skip
    banner = client.post("/api/v1/consent/events", json=choice)
    assert banner.status_code == 422, banner.text
    assert banner.json()["error"]["field"] == "choices.advertising"
    assert events(client) == 0


def test_the_filter_api_returns_the_contacts_that_may_be_reached(client: Client) -> None:
    read, write = bearer(client, "consent:read"), bearer(client, "consent:write")
    give(client, write)
    body: dict[str, Any] = {
        "purpose": "newsletter",
        "channel": "email",
        "contacts": [
            {"email": "ann@example.org", "ref": 1},
            {"email": "bob@example.org", "ref": 2},
        ],
    }
    answer = client.post("/api/v1/consent/filter", json=body, headers=read).json()
    assert answer == {
        "total": 2,
        "allowed_count": 1,
        "excluded": {"no_consent": 1},
        "allowed": [{"email": "ann@example.org", "ref": 1}],
    }
    body["contacts"].append({"email": "broken"})
    refused = client.post("/api/v1/consent/filter", json=body, headers=read)
    assert refused.status_code == 422
    assert "contact 2:" in refused.json()["error"]["message"]


def test_an_audience_larger_than_other_bodies_is_filtered_and_positions_can_be_asked(
    client: Client,
) -> None:
    read, write = bearer(client, "consent:read"), bearer(client, "consent:write")
    give(client, write)
    padding = "x" * 80  # other keys come back untouched; they make the body weigh ~8 MB
    contacts = [{"email": f"p{i}@example.net", "note": padding} for i in range(70_000)]
    contacts[41_234] = {"email": "ann@example.org", "note": padding}
    body = {"purpose": "newsletter", "channel": "email", "contacts": contacts}
    answer = client.post("/api/v1/consent/filter?answer=positions", json=body, headers=read)
    assert answer.status_code == 200
    assert answer.json() == {
        "total": 70_000,
        "allowed_count": 1,
        "excluded": {"no_consent": 69_999},
        "allowed": [41_234],
    }
    # Only the filter takes bodies this large: the same weight elsewhere is refused.
    too_large = client.post("/api/v1/consent/events", json=body, headers=write)
    assert too_large.status_code == 413
    assert events(client) == 1


def test_a_material_notice_is_published_and_the_api_lists_who_to_ask_again(client: Client) -> None:
    read, write = bearer(client, "consent:read"), bearer(client, "consent:write")
    give(client, write, "email:ann@example.org")
    published = client.post(
        "/api/v1/consent/notices", headers=write, json={"material": True, "version": "4"}
    )
    assert published.status_code == 201
    assert published.json()["purposes"] == ["ads", "newsletter", "personalisation"]
    assert (
        client.post(
            "/api/v1/consent/notices", headers=write, json={"material": False, "version": "4"}
        ).status_code
        == 409
    )
    assert [n["version"] for n in client.get("/api/v1/consent/notices", headers=read).json()] == [
        "4"
    ]
    listed = client.get("/api/v1/consent/reconsent", headers=read).json()
    assert [(e["subject"], e["purpose"]) for e in listed] == [
        ("email:ann@example.org", "newsletter")
    ]
    assert check(client, read, "ann@example.org")["reason"] == "reconsent_required"


def test_gpc_json_and_the_banner_config_see_the_sec_gpc_header(client: Client) -> None:
    gpc = client.get("/.well-known/gpc.json")
    assert gpc.json() == {"gpc": True, "lastUpdate": "2026-11-22"}
    plain = client.get("/consent/config.json").json()
    signalled = client.get("/consent/config.json", headers={"Sec-GPC": "1"})
    assert plain["gpc"] is False
    assert signalled.json()["gpc"] is True
    assert signalled.headers["access-control-allow-origin"] == "*"
    categories = {c["id"]: c for c in plain["categories"]}
    assert categories["advertising"]["saleOrSharing"]
    assert not categories["advertising"]["exempt"]
    assert categories["audience_measurement"]["exempt"]
    assert categories["strictly_necessary"]["required"]
    assert categories["advertising"]["trackers"] == [
        {"name": "_adv_uid", "provider": "Adverta", "lifetime": "13 months", "description": None}
    ]


def test_a_banner_choice_under_gpc_refuses_advertising_whatever_the_page_says(
    client: Client,
) -> None:
    body = '{"browser_id": "0123456789abcdef0123", "choices": {"advertising": true, "personalisation": true}, "action": "accept_all"}'
    response = client.post(
        "/api/v1/consent/events",
        content=body,
        headers={"Content-Type": "text/plain", "Sec-GPC": "1"},
    )
    assert response.status_code == 201
    assert response.json()["choices"] == {"advertising": False, "personalisation": True}
    read = bearer(client, "consent:read")
    assert check(client, read, "browser:0123456789abcdef0123", "ads", "web")["reason"] == "refused"
    assert check(client, read, "browser:0123456789abcdef0123", "personalisation", "web")["allowed"]


def test_the_banner_script_is_small_and_served_as_javascript(client: Client) -> None:
    script = client.get("/consent/banner.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert len(script.content) < 10 * 1024
    assert client.get("/consent/banner.css").headers["content-type"].startswith("text/css")
