"""Following a request without polling: `GET /api/v1/staff/requests/{reference}/events`
streams its status as server-sent events from a real `lawful serve` (its jobs in-process),
up to the completion, and then ends; in the same process, a commit wakes a follower at once
and a rollback does not."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lawful.auth.models import ApiToken
from lawful.auth.service import token_digest
from lawful.config import Settings
from lawful.requests.live import CHANGES, note_changed
from lawful.store.models import utcnow
from lawful.store.opening import open_store

from ..conftest import free_port
from ..support.company import EXAMPLE_MAP as EXAMPLE

KEY = base64.b64encode(bytes(range(32))).decode()
GUARD = 60  # seconds: only how long a broken build may hang, never a figure asserted


@dataclass
class Served:
    url: str
    token: str


@pytest.fixture
def served(company: Path, tmp_path: Path) -> Iterator[Served]:
    """`lawful serve` on the example company (access approved once the identity is known),
    with a staff API token written into its store."""
    data = tmp_path / "company"
    shutil.copytree(company, data)
    store, port = tmp_path / "store", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env |= {"LAWFUL_DATA_DIR": str(store), "LAWFUL_ENCRYPTION_KEY": KEY,
            "LAWFUL_DATASTORE_DIR": str(data), "LAWFUL_AUTO_APPROVE": '["access"]',
            "LAWFUL_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    command = [sys.executable, "-c", "from lawful.cli import app; app()", "serve",
               "--map", str(EXAMPLE), "--port", str(port)]  # fmt: skip
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, process, tmp_path / "serve.log")
        yield Served(url, _token(store))
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")


def _token(store: Path) -> str:
    secret = f"lawful_events_{uuid.uuid4().hex}"
    settings = Settings(data_dir=store, encryption_key=KEY, map_path=EXAMPLE)
    with open_store(settings) as opened, opened.sessions() as db:
        db.add(ApiToken(name="events", token_hash=token_digest(secret), prefix=secret[:16],
                        scopes=["requests:read", "requests:write"],
                        expires_at=utcnow() + timedelta(days=1)))  # fmt: skip
        db.commit()
    return secret


def _events(lines: Iterator[str]) -> Iterator[dict[str, object]]:
    for line in lines:
        if line.startswith("data:"):
            yield json.loads(line.removeprefix("data:"))


def test_staff_following_an_access_receive_its_completion_as_a_server_sent_event(
    served: Served,
) -> None:
    staff = {"Authorization": f"Bearer {served.token}"}
    with httpx.Client(base_url=served.url, timeout=GUARD) as client:
        made = client.post(
            "/api/v1/requests", json={"type": "access", "email": "ann@example.org", "country": "FR"}
        )
        assert made.status_code == 201, made.text
        reference = made.json()["reference"]
        path = f"/api/v1/staff/requests/{reference}/events"
        with client.stream("GET", path, headers=staff) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            seen = _events(stream.iter_lines())
            first = next(seen)
            assert (first["reference"], first["status"], first["closed"]) == (
                reference, "verifying", False,
            )  # fmt: skip
            confirmed = client.post(
                f"/api/v1/staff/requests/{reference}/confirm-identity",
                json={"how": "called back"},
                headers=staff,
            )
            assert confirmed.status_code == 200, confirmed.text
            rest = list(seen)  # the stream ends by itself after the closing event
        statuses = [e["status"] for e in rest]
        assert statuses[-1] == "completed"
        assert rest[-1]["closed"] is True
        assert set(statuses) <= {"verified", "approved", "running", "completed"}
        detail = client.get(f"/api/v1/staff/requests/{reference}", headers=staff)
        assert detail.json()["status"] == "completed"

        assert client.get(path).status_code == 401  # no token, no stream
        unknown = client.get("/api/v1/staff/requests/NOSUCHREF0/events", headers=staff)
        assert unknown.status_code == 404
        documented = client.get("/openapi.json").json()["paths"]
        answers = documented["/api/v1/staff/requests/{reference}/events"]["get"]["responses"]
        assert list(answers["200"]["content"]) == ["text/event-stream"]


def _change(sessions: sessionmaker[Session], request_id: str, outcome: str) -> None:
    """A transaction that changes the request, then commits or rolls back (another thread)."""
    with sessions() as session:
        session.execute(select(1))
        note_changed(session, request_id)
        session.commit() if outcome == "commit" else session.rollback()


def test_a_commit_wakes_the_follower_of_a_request_and_a_rollback_does_not(
    platform_sessions: sessionmaker[Session],
) -> None:
    request_id = uuid.uuid4().hex

    async def follow() -> list[bool]:
        woken = []
        with CHANGES.watch(request_id) as changed:
            for outcome in ("rollback", "commit"):
                await asyncio.to_thread(_change, platform_sessions, request_id, outcome)
                await asyncio.sleep(0)  # a wake-up from that thread has landed by now
                woken.append(changed.is_set())
                changed.clear()
        return woken

    # On a thread of its own: a session-wide browser (Playwright's sync API) may be running an
    # event loop on this one, where asyncio.run() is refused.
    with ThreadPoolExecutor(max_workers=1) as pool:
        woken = pool.submit(_run, follow).result(timeout=60)
    assert woken == [False, True]


def _run(follow: Callable[[], Coroutine[Any, Any, list[bool]]]) -> list[bool]:
    return asyncio.run(follow())
