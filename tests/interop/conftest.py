"""A DRP agent written for the tests (signing with PyNaCl, libsodium itself), a callback
receiver on 127.0.0.1, and the real app served by uvicorn on a free port (SQLite store)."""

from __future__ import annotations

import base64
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.interop.drp.agents import AgentEntry, add_agent
from lawful.platform import RunningPlatform as Platform
from lawful.web.app import create_app

from ..support.servers import free_port, serve
from ..web.conftest import (  # noqa: F401
    example_map,
    fast_password_hashing,
    make_settings,
    make_web,
    store_url,
    web,
    web_pg_url,
)

BUSINESS = "VOXARIA"


@dataclass
class Agent:
    """An authorized agent: its signing key, its id, and the token it got by pairing."""

    base: str
    id: str
    key: SigningKey = field(default_factory=SigningKey.generate)
    token: str | None = None

    @property
    def verify_key(self) -> str:
        return base64.b64encode(bytes(self.key.verify_key)).decode()

    def sign(self, claims: dict[str, Any], key: SigningKey | None = None) -> bytes:
        """libsodium combined mode: the 64-byte signature, then the message; base64."""
        return base64.b64encode(bytes((key or self.key).sign(json.dumps(claims).encode())))

    def envelope(self, **changes: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        claims = {
            "agent-id": self.id,
            "business-id": BUSINESS,
            "issued-at": (now - timedelta(seconds=5)).isoformat(),
            "expires-at": (now + timedelta(minutes=10)).isoformat(),
            "drp.version": "1.0",
        }
        return claims | changes

    def call(self, method: str, path: str, body: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": "text/plain"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return httpx.request(method, self.base + path, content=body, headers=headers, timeout=30)

    def pair(self) -> httpx.Response:
        answer = self.call("POST", f"/v1/agent/{self.id}", self.sign(self.envelope()))
        if answer.status_code == 200:
            self.token = answer.json()["token"]
        return answer

    def exercise(self, **claims: Any) -> dict[str, Any]:
        return self.envelope(exercise="deletion", regime="ccpa", email_verified=True) | claims

    def submit(self, body: bytes) -> httpx.Response:
        return self.call("POST", "/v1/data-rights-request", body)


@dataclass
class Receiver:
    """A status-callback endpoint: keeps each body; answers `failures` 500s first."""

    url: str
    bodies: list[dict[str, Any]]
    failures: list[int]
    arrived: threading.Condition

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.bodies) >= count, timeout=timeout)
        assert len(self.bodies) >= count, self.bodies
        return list(self.bodies)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    bodies: list[dict[str, Any]] = []
    failures = [0]
    arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if failures[0] > 0:
                failures[0] -= 1
                self.send_response(500)
            else:
                with arrived:
                    bodies.append(data)
                    arrived.notify_all()
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_port}/status", bodies, failures, arrived)
    server.shutdown()
    server.server_close()


@dataclass
class Business:
    url: str
    platform: Platform

    def trust(self, agent_id: str, name: str = "Test Agent App") -> Agent:
        agent = Agent(self.url, agent_id)
        with self.platform.sessions() as session:
            entry = AgentEntry(agent_id, name, agent.verify_key, technical_contact="t@agent.test")
            add_agent(session, entry=entry, actor="test")
            session.commit()
        return agent


@pytest.fixture
def business(
    make_settings: Callable[..., Settings],  # noqa: F811
    example_map: LoadedMap,  # noqa: F811
    company_files: Path,
    tmp_path: Path,
) -> Iterator[Business]:
    """The example company serving DRP over real HTTP, on its own copy of the datastores."""
    stores = tmp_path / "stores"
    shutil.copytree(company_files, stores)
    settings = make_settings(datastore_dir=stores, job_retry_seconds=0.2, job_poll_seconds=0.2)
    with ExitStack() as stack:
        app = create_app(settings, loaded=example_map)
        url = stack.enter_context(serve(app, free_port()))
        yield Business(url, app.state.platform)
