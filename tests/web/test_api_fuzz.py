"""The whole JSON API fuzzed from its own OpenAPI document (schemathesis), against a real
`lawful serve` process, without a token and with a token holding every scope.

Every answer must be a non-5xx status the document lists for that operation, with the
content type and the body schema it documents. Bounded (a few examples per operation, generated
deterministically) so the run is reproducible and stays well under two minutes. To fuzz harder by
hand, run the same command with a larger `--max-examples` (see docs/security.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from lawful.auth.models import Role
from lawful.auth.roles import API_SCOPES
from lawful.auth.service import create_token, create_user
from lawful.config import Settings
from lawful.store.models import utcnow
from lawful.store.opening import open_store

from ..conftest import code_in, free_port
from .conftest import EXAMPLE_MAP, KEY, PASSWORD
from .test_cli import _healthy

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent  # fuzz_hooks.py
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"  # fmt: skip
EXAMPLES_PER_OPERATION = 8


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    log: Path
    known: dict[str, str]  # FUZZ_* variables for the hooks: ids of records made first


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, platform_store_template: Path, company_files: Path
) -> Iterator[Server]:
    """`lawful serve` on the example company (every datastore reachable, so the status is
    200), its own SQLite store, rate limits out of the way, mail to the outbox."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(platform_store_template, folder / "platform.db")
    shutil.copytree(company_files, folder / "company")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    environ |= {"LAWFUL_DATABASE_URL": f"sqlite:///{folder / 'platform.db'}",
                "LAWFUL_ENCRYPTION_KEY": KEY, "LAWFUL_DATA_DIR": str(folder / "data"),
                "LAWFUL_RATE_LIMIT_PER_MINUTE": "100000", "LAWFUL_RATE_LIMIT_BURST": "100000"}  # fmt: skip
    token = _every_scope_token(Settings(database_url=environ["LAWFUL_DATABASE_URL"], encryption_key=KEY))  # fmt: skip
    port, log = free_port(), folder / "server.log"
    command = [str(BIN / "lawful"), "serve", "--map", str(EXAMPLE_MAP), "--port", str(port),
               "--data", str(folder / "company")]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=folder, env=environ, stdout=output, stderr=output)
    try:
        assert _healthy(f"http://127.0.0.1:{port}/healthz", process), log.read_text()
        url = f"http://127.0.0.1:{port}"
        yield Server(url, token, log, _records(url, token, folder / "data" / "outbox"))
    finally:
        process.terminate()
        process.wait(timeout=30)


def _every_scope_token(settings: Settings) -> str:
    with open_store(settings) as store, store.sessions() as session:
        maker = create_user(session, keyring=store.keyring, email="fuzz@staff.example",
                            name="Fuzz", role=Role.admin, password=PASSWORD, actor="test")  # fmt: skip
        now = utcnow()
        made = create_token(session, name="fuzz", scopes=list(API_SCOPES), created_by=maker,
                            expires_at=now + timedelta(days=1), now=now)  # fmt: skip
        session.commit()
        return made.secret


def _records(url: str, token: str, outbox: Path) -> dict[str, str]:
    """Rights requests (verified, so staff can act on them) and a consent event, for the fuzz
    to act on."""
    references, tokens = {}, {}
    for kind in ("access", "erasure", "restriction", "portability"):
        body = {"type": kind, "email": f"{kind}@example.org", "country": "FR"}
        made = httpx.post(f"{url}/api/v1/requests", json=body)
        assert made.status_code == 201, made.text
        references[f"{kind}@example.org"] = made.json()["reference"]
        tokens[f"{kind}@example.org"] = made.json()["status_token"]
    for address, code in _mailed_codes(outbox, count=len(references)).items():
        verified = httpx.post(f"{url}/api/v1/requests/{references[address]}/verify", json={"token": tokens[address], "code": code})  # fmt: skip
        assert verified.status_code == 200, verified.text
    choice = {"subject": "email:ann@example.org", "state": "given", "channel": "web_form",
              "purposes": ["email_marketing"], "method": "checkbox"}  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    given = httpx.post(f"{url}/api/v1/consent/events", json=choice, headers=headers)
    assert given.status_code == 201, given.text
    events = [event["id"] for event in given.json()["events"]]
    return {"FUZZ_REFERENCES": ",".join(references.values()), "FUZZ_EVENT_IDS": ",".join(events)}


def _mailed_codes(outbox: Path, *, count: int) -> dict[str, str]:
    """The code mailed to each address, once `count` code mails are in the outbox."""
    deadline, mails = time.monotonic() + 30, list[Path]()
    while len(mails) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        mails = sorted(outbox.glob("*verification_code.eml")) if outbox.is_dir() else []
    codes = {}
    for mail in mails:
        message = message_from_bytes(mail.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        codes[str(message["To"])] = code_in(str(body.get_content()))
    assert len(codes) == count, f"{len(codes)} of {count} code mails came"
    return codes


def fuzz(server: Server, *headers: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "schemathesis"), "run", f"{server.url}/openapi.json",
               "--checks", CHECKS, "--phases", "examples,coverage,fuzzing", "--mode", "all",
               "--max-examples", str(EXAMPLES_PER_OPERATION), "--generation-deterministic",
               "--suppress-health-check", "all", "--workers", "1", "--request-timeout", "20",
               "--no-color", "--warnings", "off"]  # fmt: skip
    for header in headers:
        command += ["--header", header]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=server.log.parent
    )


@pytest.mark.parametrize("with_token", [False, True], ids=["without_a_token", "with_every_scope"])
def test_every_operation_answers_only_what_the_openapi_documents(
    server: Server, with_token: bool
) -> None:
    headers = [f"Authorization: Bearer {server.token}"] if with_token else []
    run = fuzz(server, *headers)
    report = run.stdout[-12_000:] + run.stderr[-2_000:]
    server_errors = [line for line in server.log.read_text().splitlines() if "Traceback" in line]
    assert run.returncode == 0, f"{report}\n--- server log ---\n{server.log.read_text()[-6_000:]}"
    operations = sum(
        len(path) for path in httpx.get(f"{server.url}/openapi.json").json()["paths"].values()
    )
    assert f"Tested: {operations}\n" in run.stdout, report  # every operation was fuzzed
    assert server_errors == [], server.log.read_text()[-6_000:]
