"""`lawful serve` on a port that is not the default, with no LAWFUL_PUBLIC_URL and no
LAWFUL_SMTP_FROM: every link in every mail it sends (through a real SMTP server) starts with
the address it listens on and answers, and the mail comes from the map's organisation."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from lawful.auth.models import ApiToken, Role
from lawful.auth.service import create_user, token_digest
from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.demo.load import sqlite_systems
from lawful.store.models import utcnow
from lawful.store.opening import open_store

from ..support.mail import Inbox, SMTPServer, code_in
from ..support.servers import free_port
from .conftest import EXAMPLE_MAP, KEY, csrf

LINK = re.compile(r"https?://[^\s\"'<>)]+")
OUR_HOSTS = {"localhost", "127.0.0.1", "testserver"}


@dataclass
class Served:
    url: str
    data_dir: Path
    company: Path
    inbox: Inbox

    @contextmanager
    def staff_browser(self) -> Iterator[httpx.Client]:
        """A privacy officer, written into the server's store, signed in."""
        email, password = f"officer-{uuid.uuid4().hex[:8]}@staff.example", uuid.uuid4().hex
        settings = Settings(data_dir=self.data_dir, encryption_key=KEY, map_path=EXAMPLE_MAP)
        with open_store(settings) as store, store.sessions() as db:
            create_user(db, keyring=store.keyring, email=email, name="Link Officer",
                        role=Role.privacy_officer, password=password, actor="test")  # fmt: skip
            db.commit()
        with httpx.Client(base_url=self.url, timeout=30) as browser:
            form = {"csrf_token": csrf(browser.get("/admin/sign-in")), "email": email,
                    "password": password}  # fmt: skip
            assert browser.post("/admin/sign-in", data=form).status_code == 303
            yield browser

    def applicant_email(self) -> str:
        datamap = load_datamap(EXAMPLE_MAP).datamap
        path = self.company / sqlite_systems(datamap)["ats"]
        with closing(sqlite3.connect(path)) as conn:
            row = conn.execute(
                "SELECT email FROM candidates WHERE email IS NOT NULL ORDER BY candidate_id"
            ).fetchone()
        return str(row[0])


@pytest.fixture
def served(company: Path, smtp_server: SMTPServer, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    assert port != 8000
    shutil.copytree(company, tmp_path / "company")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
    env |= {"LAWFUL_DATA_DIR": str(tmp_path / "store"), "LAWFUL_ENCRYPTION_KEY": KEY,
            "LAWFUL_DATASTORE_DIR": str(tmp_path / "company"),
            "LAWFUL_SMTP_HOST": "127.0.0.1", "LAWFUL_SMTP_PORT": str(smtp_server.port),
            "LAWFUL_SMTP_STARTTLS": "false",
            "LAWFUL_RATE_LIMIT_PER_MINUTE": "10000", "LAWFUL_RATE_LIMIT_BURST": "10000"}  # fmt: skip
    command = [sys.executable, "-c", "from lawful.cli import app; app()", "serve",
               "--map", str(EXAMPLE_MAP), "--port", str(port)]  # fmt: skip
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield Served(url, tmp_path / "store", tmp_path / "company", smtp_server.inbox)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")


def _submit(person: httpx.Client, request_type: str, email: str) -> tuple[str, str]:
    """The privacy center's form, as a browser posts it: (reference, status token)."""
    form = {"request_type": request_type, "email": email, "country": "FR",
            "csrf_token": csrf(person.get("/privacy"))}  # fmt: skip
    answer = person.post("/privacy/requests", data=form, files={"document": ("", b"")})
    assert answer.status_code == 303, answer.text
    found = re.search(r"/privacy/requests/([A-Z2-7]+)\?token=([^&]+)", answer.headers["location"])
    assert found is not None
    return found.group(1), found.group(2)


def _verify(served: Served, person: httpx.Client, email: str, reference: str, token: str) -> None:
    code = code_in(served.inbox.text(served.inbox.wait_for(email, f"code for request {reference}")))
    page = person.get(f"/privacy/requests/{reference}", params={"token": token})
    form = {"csrf_token": csrf(page), "token": token, "code": code}
    assert person.post(f"/privacy/requests/{reference}/verify", data=form).status_code == 303


def _links(message: EmailMessage) -> set[str]:
    found: set[str] = set()
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found |= {unescape(link) for link in LINK.findall(str(part.get_content()))}
    for header in ("List-Unsubscribe",):
        found |= set(LINK.findall(str(message.get(header, ""))))
    return found


def test_every_link_in_every_mail_reaches_the_server_on_its_own_port(served: Served) -> None:
    applicant = served.applicant_email()
    objector = f"objector-{uuid.uuid4().hex[:8]}@people.example"
    with httpx.Client(base_url=served.url, timeout=30) as person:
        # An access request: receipt, code, then (approved by staff) the package is ready.
        reference, token = _submit(person, "access", applicant)
        _verify(served, person, applicant, reference, token)
        with served.staff_browser() as staff:
            page = staff.get(f"/admin/requests/{reference}")
            answer = staff.post(f"/admin/requests/{reference}/approve",
                                data={"csrf_token": csrf(page)})  # fmt: skip
            assert answer.status_code == 303, answer.text
        done = served.inbox.wait_for(applicant, f"request {reference} is complete", timeout=60)
        download = next(link for link in _links(done) if "/download?token=" in link)
        page = person.get(download)
        assert page.status_code == 200
        form = {"csrf_token": csrf(page), "token": token}
        asked = person.post(f"/privacy/requests/{reference}/download-code", data=form)
        assert asked.status_code == 303
        served.inbox.wait_for(applicant, "Your code to download your data")
        # An objection to direct marketing: no proof needed, done at once (GDPR Art. 21(3)).
        objection, _ = _submit(person, "objection_direct_marketing", objector)
        served.inbox.wait_for(objector, f"request {objection} is complete", timeout=60)

    mails = served.inbox.messages
    kinds = {str(m["Subject"]).split(" ")[1] for m in mails}
    assert len(mails) == 6, [str(m["Subject"]) for m in mails]
    assert {"received", "code", "request"} <= kinds
    links: set[str] = set()
    for mail in mails:
        assert parseaddr(str(mail["From"])) == ("Voxaria", "privacy@voxaria.example")
        links |= _links(mail)
    ours = {link for link in links if urlsplit(link).hostname in OUR_HOSTS}
    assert ours, links
    assert all(link.startswith(f"{served.url}/") for link in ours), sorted(ours)
    assert not [link for link in links if ":8000" in link]
    with httpx.Client(timeout=30) as browser:  # another browser: no cookies of the person's
        answers = {link: browser.get(link).status_code for link in sorted(ours)}
    assert set(answers.values()) == {200}, answers
    assert any("/download?token=" in link for link in ours)
    assert any(re.search(r"/privacy/requests/[A-Z2-7]+\?token=", link) for link in ours)


def test_preference_and_unsubscribe_links_for_a_client_s_mail_reach_the_server(
    served: Served,
) -> None:
    """The links (and List-Unsubscribe header) the API gives for the client's own mailings."""
    secret = f"lawful_links_{uuid.uuid4().hex}"
    settings = Settings(data_dir=served.data_dir, encryption_key=KEY, map_path=EXAMPLE_MAP)
    with open_store(settings) as store, store.sessions() as db:
        db.add(ApiToken(name="links", token_hash=token_digest(secret), prefix=secret[:16],
                        scopes=["consent:write"], expires_at=utcnow() + timedelta(days=1)))  # fmt: skip
        db.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    subject = f"email:reader-{uuid.uuid4().hex[:8]}@people.example"
    with httpx.Client(base_url=served.url, timeout=30) as http:
        links: list[str] = []
        for kind in ("preferences", "unsubscribe"):
            made = http.post("/api/v1/consent/links", json={"subject": subject, "kind": kind},
                             headers=auth)  # fmt: skip
            assert made.status_code == 201, made.text
            links.append(made.json()["url"])
            header = made.json()["headers"].get("List-Unsubscribe", "")
            links += LINK.findall(header)
        assert len(links) == 3  # preferences, unsubscribe, and the header's https link
        assert all(link.startswith(f"{served.url}/") for link in links), links
        assert [http.get(link).status_code for link in links] == [200, 200, 200]
