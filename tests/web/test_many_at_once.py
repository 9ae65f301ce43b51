"""Sixty people making a request at the same moment, against a real `lawful serve`: every
one is answered 201 (with 40 worker threads and 15 pooled connections, every thread could
wait for a connection while each connection waited for a thread to check its answer, until
the pool gave up 30 s later and the server answered 500)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ..conftest import free_port
from .conftest import EXAMPLE_MAP, KEY

AT_ONCE = 60
GUARD = 120  # seconds: only how long a broken build may hang, never a figure asserted


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env |= {"LAWFUL_DATA_DIR": str(tmp_path / "store"), "LAWFUL_ENCRYPTION_KEY": KEY,
            "LAWFUL_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LAWFUL_RATE_LIMIT_PER_MINUTE": "10000", "LAWFUL_RATE_LIMIT_BURST": "10000"}  # fmt: skip
    command = [sys.executable, "-c", "from lawful.cli import app; app()", "serve",
               "--map", str(EXAMPLE_MAP), "--port", str(port)]  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + GUARD
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_sixty_requests_made_at_the_same_moment_are_all_taken(server_url: str) -> None:
    def submit(n: int) -> int:
        body = {"type": "access", "email": f"person{n}@example.org", "country": "FR"}
        with httpx.Client(base_url=server_url, timeout=GUARD) as client:
            return client.post("/api/v1/requests", json=body).status_code

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        answers = Counter(pool.map(submit, range(AT_ONCE)))

    assert answers == Counter({201: AT_ONCE})
