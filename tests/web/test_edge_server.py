"""`lawful serve` as a process, attacked and used at its edge: bodies without a token cost it
no memory, and nothing personal or secret reaches any line it writes (the access log, the
app's log, stdout and stderr) however the person, the tokens and the links are sent."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from lawful.auth.models import ApiToken, Role
from lawful.auth.service import create_user, token_digest
from lawful.config import Settings
from lawful.store.models import utcnow
from lawful.store.opening import open_store

from ..support.servers import free_port
from .conftest import EXAMPLE_MAP, KEY, csrf


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    data_dir: Path
    logs: tuple[Path, Path]

    def token(self, *scopes: str) -> str:
        """A live API token with `scopes`, written straight into the server's store."""
        secret = f"lawful_edge_{uuid.uuid4().hex}"
        settings = Settings(data_dir=self.data_dir, encryption_key=KEY, map_path=EXAMPLE_MAP)
        with open_store(settings) as store, store.sessions() as db:
            db.add(ApiToken(name="edge", token_hash=token_digest(secret), prefix=secret[:16],
                            scopes=list(scopes), expires_at=utcnow() + timedelta(days=1)))  # fmt: skip
            db.commit()
        return secret

    def staff(self, email: str, password: str) -> None:
        """A staff member (privacy officer) written straight into the server's store."""
        settings = Settings(data_dir=self.data_dir, encryption_key=KEY, map_path=EXAMPLE_MAP)
        with open_store(settings) as store, store.sessions() as db:
            create_user(db, keyring=store.keyring, email=email, name="Edge Officer",
                        role=Role.privacy_officer, password=password, actor="test")  # fmt: skip
            db.commit()

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS for the server process")

    def stop(self) -> list[str]:
        """Stop the server; every line it wrote, on stdout and stderr."""
        self.process.terminate()
        self.process.wait(timeout=30)
        return [line for log in self.logs for line in log.read_text(errors="replace").splitlines()]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`lawful serve` on the example map, its own SQLite store, its output in two files."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env |= {"LAWFUL_DATA_DIR": str(tmp_path / "store"), "LAWFUL_ENCRYPTION_KEY": KEY,
            "LAWFUL_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LAWFUL_RATE_LIMIT_PER_MINUTE": "10000", "LAWFUL_RATE_LIMIT_BURST": "10000"}  # fmt: skip
    command = [sys.executable, "-c", "from lawful.cli import app; app()", "serve",
               "--map", str(EXAMPLE_MAP), "--port", str(port)]  # fmt: skip
    logs = (tmp_path / "stdout.log", tmp_path / "stderr.log")
    with logs[0].open("wb") as out, logs[1].open("wb") as err:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=err)
    running = Server(process, f"http://127.0.0.1:{port}", port, tmp_path / "store", logs)
    try:
        _wait_until_healthy(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not start: {server.logs[1].read_text()[-2000:]}")


# --- bodies without a token ----------------------------------------------------------------------

HUNDRED_MB = 100 * 1024 * 1024


def _post_without_token(port: int, size: int) -> tuple[int, float, int]:
    """POST `size` bytes to the filter with no token, stopping as soon as an answer comes:
    (status, seconds to the answer, bytes sent by then)."""
    started = time.monotonic()
    head = (f"POST /api/v1/consent/filter HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n")  # fmt: skip
    chunk, sent, answer = b" " * (1 << 20), 0, b""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(head.encode())
        connection.setblocking(False)
        while b"\r\n" not in answer and time.monotonic() - started < 60:
            readable, writable, _ = select.select([connection], [connection] if sent < size else [], [], 1)  # fmt: skip
            if readable:
                data = connection.recv(65536)
                if not data:
                    break
                answer += data
            elif writable:
                with contextlib.suppress(BlockingIOError):
                    sent += connection.send(chunk[: size - sent])
    status = int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, time.monotonic() - started, sent


def test_three_hundred_megabyte_bodies_without_a_token_are_refused_fast_and_cost_no_memory(
    server: Server,
) -> None:
    assert httpx.post(f"{server.url}/api/v1/consent/filter", content=b"{}").status_code == 401
    before, peak, done = server.rss_kib(), [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.rss_kib())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda _: _post_without_token(server.port, HUNDRED_MB), range(3)))  # fmt: skip
    finally:
        done.set()
        watcher.join()
    assert [status for status, _, _ in results] == [401, 401, 401]
    assert max(seconds for _, seconds, _ in results) < 10
    assert all(sent < HUNDRED_MB for _, _, sent in results)  # answered before the body ended
    assert (peak[0] - before) < 50 * 1024, f"the server grew by {(peak[0] - before) // 1024} MB"


# --- nothing personal or secret in any line written ----------------------------------------------


def _staff_signs_in(server: Server, http: httpx.Client, secrets: list[str]) -> None:
    """A privacy officer signs in (a wrong password first), then opens the request queue."""
    email, password = f"officer-{uuid.uuid4().hex[:8]}@staff.example", f"pw-{uuid.uuid4().hex}"
    server.staff(email, password)
    secrets += [email, password, "wrong-" + password]
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        token = csrf(browser.get("/admin/sign-in"))
        for attempt, status in (("wrong-" + password, 401), (password, 303)):
            form = {"csrf_token": token, "email": email, "password": attempt}
            assert browser.post("/admin/sign-in", data=form).status_code == status
        assert browser.get("/admin/requests").status_code == 200
        secrets += list(browser.cookies.values())


def test_no_line_the_server_writes_holds_a_person_s_data_a_token_or_a_link(server: Server) -> None:
    email = f"log-probe-{uuid.uuid4().hex[:10]}@people.example"
    subject = f"email:{email}"
    api = server.token("consent:read", "consent:write", "requests:read", "audit:read")
    auth = {"Authorization": f"Bearer {api}"}
    secrets = [email, quote(email, safe=""), email.split("@")[0], "Zoé Logprobe", api]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        made = http.post("/api/v1/requests", json={"type": "access", "email": email,
                         "country": "FR", "name": "Zoé Logprobe"})  # fmt: skip
        assert made.status_code == 201, made.text
        reference, status_token = made.json()["reference"], made.json()["status_token"]
        secrets.append(status_token)
        own = {"X-Status-Token": status_token}
        assert http.get(f"/api/v1/requests/{reference}", headers=own).status_code == 200
        # The old form, with the token in the address: refused, and not written down.
        assert http.get(f"/api/v1/requests/{reference}", params={"token": status_token}).status_code == 400  # fmt: skip
        page = http.get(f"/privacy/requests/{reference}", params={"token": status_token})
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        cancel = {"csrf_token": csrf(page), "token": status_token}
        assert http.post(f"/privacy/requests/{reference}/cancel", data=cancel).status_code == 303
        _staff_signs_in(server, http, secrets)
        assert http.get(f"/api/v1/staff/requests/{reference}", headers=auth).status_code == 200
        choice = {"subject": subject, "state": "given", "purposes": ["email_marketing"],
                  "channel": "api"}  # fmt: skip
        assert http.post("/api/v1/consent/events", json=choice, headers=auth).status_code == 201
        asked = {"subject": subject, "purpose": "email_marketing", "channel": "email"}
        for _ in range(2):  # the route (first use stored), then the fast path
            checked = http.post("/api/v1/consent/check", json=asked, headers=auth)
            assert checked.json()["allowed"] is True, checked.text
        history = http.post("/api/v1/consent/history", json={"subject": subject}, headers=auth)
        assert len(history.json()) == 1
        # The old forms, with the person in the address: refused, and not written down.
        assert http.get("/api/v1/consent/check", params=asked, headers=auth).status_code == 405
        assert http.get("/api/v1/consent/events", params={"subject": subject}, headers=auth).status_code == 405  # fmt: skip
        for kind in ("preferences", "unsubscribe"):
            link = http.post("/api/v1/consent/links", json={"subject": subject, "kind": kind},
                             headers=auth).json()["url"]  # fmt: skip
            path = urlsplit(link).path
            secrets.append(path.rsplit("/", 1)[1])
            assert http.get(path).status_code == 200
        one_click = http.post(path, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code < 400, one_click.text
        download = f"dl{uuid.uuid4().hex}"
        secrets.append(download)
        assert http.get(f"/privacy/downloads/{download}").status_code in (403, 404, 410)
    lines = server.stop()
    access = [line for line in lines if '" 20' in line or '" 30' in line or '" 40' in line]
    assert any('"POST /api/v1/consent/check HTTP/1.1" 200' in line for line in access), lines
    assert any('"GET /u/… HTTP/1.1"' in line for line in access), lines
    assert any(f'"GET /api/v1/requests/{reference} HTTP/1.1" 200' in line for line in access)
    assert any(f'"GET /api/v1/requests/{reference}?… HTTP/1.1" 400' in line for line in access)
    assert any(f'"GET /privacy/requests/{reference}?… HTTP/1.1" 200' in line for line in access)
    assert any('"POST /admin/sign-in HTTP/1.1" 303' in line for line in access)
    assert all("127.0.0.1:" not in line for line in access)  # the network, not the device
    leaks = [(secret, line) for line in lines for secret in secrets if secret in line]
    assert leaks == []
