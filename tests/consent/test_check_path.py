"""The consent check's fast path (`lawful.consent.check_path`) through the real app under
uvicorn, on SQLite and PostgreSQL stores built by the migrations: it answers as the route
does, with the same headers, and every write made elsewhere — another connection, another
process — counts from the very next check. Tokens that are revoked, expired or lack the scope
are refused as the rest of the API refuses them."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from lawful.auth.models import ApiToken
from lawful.auth.service import token_digest
from lawful.config import Settings
from lawful.consent import api
from lawful.consent.models import ConsentState
from lawful.consent.service import ConsentEntry, record_consent
from lawful.http.security import HEADERS
from lawful.platform import RunningPlatform as Platform
from lawful.store.migrate import upgrade_database
from lawful.store.models import utcnow
from lawful.web.app import create_app

from .conftest import SHOP
from .server import free_port, serve

KEY = bytes(range(32))
CHECK = "/api/v1/consent/check"


class Client(httpx.Client):
    def __init__(self, url: str, platform: Platform, store_url: str) -> None:
        super().__init__(base_url=url)
        self.platform, self.store_url = platform, store_url


@pytest.fixture(scope="module")
def own_pg_store(pg_database_factory: Callable[[str], str]) -> str:
    """A PostgreSQL store of this module's own: the app commits, and the session's shared
    store must stay empty for the tests that count its rows."""
    url = pg_database_factory("lawful_check")
    upgrade_database(url=url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Client]:
    """The app on a real port, on each backend in turn."""
    port = free_port()
    options: dict[str, Any] = {}
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "lawful.db")
        store_url = f"sqlite:///{tmp_path / 'lawful.db'}"
    else:
        store_url = options["database_url"] = request.getfixturevalue("own_pg_store")
    settings = Settings(map_path=SHOP, data_dir=tmp_path, public_url=f"http://127.0.0.1:{port}",
                        encryption_key=base64.b64encode(KEY).decode(), **options)  # fmt: skip
    app = create_app(settings)
    with serve(app, port) as url, Client(url, app.state.platform, store_url) as http:
        yield http


@pytest.fixture
def route_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The FastAPI route fails if it is reached: an answer then came from the fast path."""

    def unreachable(*args: object) -> bytes:
        raise AssertionError("the check reached the FastAPI route")

    monkeypatch.setattr(api, "_check", unreachable)


def make_token(client: Client, *scopes: str, used: bool = True) -> tuple[str, dict[str, str]]:
    """A token (id, headers); `used`: its last use is fresh, so there is none to store."""
    secret = f"lawful_test_{uuid.uuid4().hex}"
    token = ApiToken(name="tests", token_hash=token_digest(secret), prefix=secret[:16],
                     scopes=list(scopes), expires_at=utcnow() + timedelta(days=1),
                     last_used_at=utcnow() if used else None)  # fmt: skip
    with client.platform.sessions() as db:
        db.add(token)
        db.commit()
        return token.id, {"Authorization": f"Bearer {secret}"}


def change_token(client: Client, token_id: str, **values: Any) -> None:
    with client.platform.sessions() as db:
        db.execute(update(ApiToken).where(ApiToken.id == token_id).values(**values))
        db.commit()


def ask(client: Client, auth: dict[str, str], subject: str, **extra: str) -> httpx.Response:
    asked = {"subject": subject, "purpose": "newsletter", "channel": "email", **extra}
    return client.post(CHECK, json=asked, headers=auth)


def person() -> str:
    return f"p-{uuid.uuid4().hex[:12]}@example.org"


def record(client: Client, subject: str, state: ConsentState) -> None:
    """A choice written on a connection of its own, as another worker would."""
    entry = ConsentEntry(subject=subject, state=state, channel="api", method="checkbox",
                         purposes=("newsletter",))  # fmt: skip
    with client.platform.sessions() as db:
        record_consent(db, datamap=client.platform.datamap, keyring=client.platform.keyring,
                       entry=entry, actor="test")  # fmt: skip
        db.commit()


WITHDRAW_ELSEWHERE = """
import sys
from pathlib import Path
from lawful.consent.models import ConsentState
from lawful.consent.service import ConsentEntry, withdraw_consent
from lawful.datamap.loader import load_datamap
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory

url, map_path, subject = sys.argv[1:]
entry = ConsentEntry(subject=subject, state=ConsentState.given, channel="email",
                     method="one_click_unsubscribe", purposes=("newsletter",))
engine = create_store_engine(url)
with session_factory(engine)() as db:
    withdraw_consent(db, datamap=load_datamap(Path(map_path)).datamap,
                     keyring=Keyring.from_master(bytes(range(32))), entry=entry, actor="other")
    db.commit()
engine.dispose()
"""


def test_the_fast_path_answers_as_the_route_does(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, auth = make_token(client, "consent:read", used=False)
    subject = person()
    record(client, subject, ConsentState.given)
    by_route = ask(client, auth, subject.upper())  # the route answers when it must
    monkeypatch.setattr(api, "_check", lambda *args: pytest.fail("route reached"))
    fast = ask(client, auth, f"email:{subject}")
    assert fast.status_code == 200
    assert fast.content == by_route.content
    assert fast.json()["allowed"] is True
    assert fast.json()["reason"] == "consent_given"


def test_fast_answers_carry_the_security_headers_of_every_answer(
    client: Client, route_off: None
) -> None:
    _, auth = make_token(client, "consent:read")
    response = ask(client, auth, person())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"


def test_a_withdrawal_made_by_another_process_counts_from_the_next_check(
    client: Client, route_off: None
) -> None:
    _, auth = make_token(client, "consent:read")
    subject = person()
    record(client, subject, ConsentState.given)
    assert ask(client, auth, subject).json()["reason"] == "consent_given"
    subprocess.run(
        [sys.executable, "-c", WITHDRAW_ELSEWHERE, client.store_url, str(SHOP), subject],
        check=True,
    )
    answer = ask(client, auth, subject).json()
    assert (answer["allowed"], answer["reason"]) == (False, "withdrawn")


def test_a_change_on_another_connection_counts_from_the_next_check(
    client: Client, route_off: None
) -> None:
    _, auth = make_token(client, "consent:read")
    subject = person()
    assert ask(client, auth, subject).json()["reason"] == "no_consent"
    record(client, subject, ConsentState.given)
    assert ask(client, auth, subject).json()["reason"] == "consent_given"
    record(client, subject, ConsentState.withdrawn)
    assert ask(client, auth, subject).json()["reason"] == "withdrawn"


def test_a_token_revoked_after_use_is_refused_at_once(client: Client) -> None:
    token_id, auth = make_token(client, "consent:read")
    assert ask(client, auth, person()).status_code == 200
    change_token(client, token_id, revoked_at=utcnow())
    refused = ask(client, auth, person())
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    assert refused.headers["www-authenticate"] == 'Bearer realm="lawful"'
    for name, value in HEADERS.items():
        assert refused.headers[name] == value


def test_an_expired_token_is_refused(client: Client) -> None:
    token_id, auth = make_token(client, "consent:read")
    assert ask(client, auth, person()).status_code == 200
    change_token(client, token_id, expires_at=utcnow() - timedelta(seconds=1))
    assert ask(client, auth, person()).status_code == 401


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "invalid_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "invalid_token"),
        ({"Authorization": "Bearer not-a-token"}, 401, "invalid_token"),
    ],
)
def test_a_missing_or_unknown_token_is_refused(
    client: Client, headers: dict[str, Any], status: int, code: str
) -> None:
    refused = ask(client, headers, person())
    assert refused.status_code == status
    assert refused.json()["error"]["code"] == code


def test_a_token_without_the_read_scope_is_refused(client: Client) -> None:
    _, auth = make_token(client, "consent:write")
    refused = ask(client, auth, person())
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "insufficient_scope",
        "message": "This API token lacks the scope(s): consent:read.",
        "field": None,
    }


def test_a_token_s_first_use_is_stored_then_the_fast_path_answers(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_id, auth = make_token(client, "consent:read", used=False)
    assert ask(client, auth, person()).status_code == 200
    with client.platform.sessions() as db:
        token = db.get(ApiToken, token_id)
        assert token is not None
        assert token.last_used_at is not None
    monkeypatch.setattr(api, "_check", lambda *args: pytest.fail("route reached"))
    assert ask(client, auth, person()).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"subject": "ann@"}, "subject"),
        ({"subject": "x" * 401}, "subject"),
        ({"purpose": "nope"}, "purpose"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_malformed_checks_are_still_refused_clearly(
    client: Client, params: dict[str, Any], field: str
) -> None:
    _, auth = make_token(client, "consent:read")
    asked = {"subject": person(), "purpose": "newsletter", "channel": "email", **params}
    refused = client.post(CHECK, json=asked, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_input"
    assert refused.json()["error"]["field"] == field


def test_a_check_without_a_purpose_is_refused(client: Client) -> None:
    _, auth = make_token(client, "consent:read")
    refused = client.post(CHECK, json={"subject": person(), "channel": "email"}, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "purpose"


def test_the_person_is_taken_from_the_body_only_never_from_the_address(client: Client) -> None:
    _, auth = make_token(client, "consent:read")
    asked = {"subject": person(), "purpose": "newsletter", "channel": "email"}
    assert client.get(CHECK, params=asked, headers=auth).status_code == 405
    in_query = client.post(CHECK, params=asked, headers=auth)
    assert in_query.status_code == 422


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"subject": 1, "purpose": "newsletter", "channel": "email"}',
     b'{"subject": "a@example.org", "purpose": "newsletter", "channel": "email", "x": 1}'],
)  # fmt: skip
def test_a_body_the_fast_path_cannot_read_goes_to_the_route_and_is_refused(
    client: Client, body: bytes
) -> None:
    _, auth = make_token(client, "consent:read")
    refused = client.post(CHECK, content=body, headers=auth | {"content-type": "application/json"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_input"


def test_a_check_body_over_4_kb_is_refused_with_413_as_it_streams(client: Client) -> None:
    _, auth = make_token(client, "consent:read")
    asked = {"subject": person(), "purpose": "newsletter", "channel": "email", "pad": "x" * 5000}

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        data = json.dumps(asked).encode()
        yield from (data[i : i + 1000] for i in range(0, len(data), 1000))

    refused = client.post(CHECK, content=chunks(), headers=auth)
    assert refused.status_code == 413
    assert "4,096 bytes" in refused.json()["error"]["message"]
