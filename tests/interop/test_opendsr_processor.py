"""OpenDSR 2.0 as the processor, against a real server: a controller written for the tests
sends requests with its client's token and verifies every signed answer and callback with
a certificate chain made by a test CA. An erasure touches exactly the asking client's
datasets: ours and the other client's files stay byte-identical."""

from __future__ import annotations

import io
import shutil
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.interop.opendsr.credentials import issue_credential
from lawful.interop.opendsr.service import purge_results
from lawful.interop.opendsr.signing import SigningError, verified_certificate, verify_signature
from lawful.platform import RunningPlatform as Platform
from lawful.web.app import create_app

from ..conftest import free_port, settle
from ..support.servers import serve
from .conftest import Receiver
from .opendsr_peers import Authority, Callbacks, Controller, Verifier, callback_server

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
DOMAIN = "lawful.test"


@dataclass
class Processor:
    url: str
    platform: Platform
    stores: Path
    ca: Authority

    def client(self, client: str) -> Controller:
        with self.platform.sessions() as session:
            new = issue_credential(session, keyring=self.platform.keyring,
                                   datamap=self.platform.datamap, client=client,
                                   label="test", actor="test")  # fmt: skip
            session.commit()
        return Controller(self.url, new.token, self.verifier())

    def verifier(self) -> Verifier:
        return Verifier(self.url, {DOMAIN}, [self.ca.root])


@pytest.fixture
def start_processor(
    make_settings: Callable[..., Settings],
    example_map: LoadedMap,
    company_files: Path,
    tmp_path: Path,
) -> Iterator[Callable[..., Processor]]:
    """The example company serving OpenDSR over real HTTP, with a certificate from a test CA."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> Processor:
            stores = tmp_path / "stores"
            shutil.copytree(company_files, stores)
            ca = Authority()
            key, cert = ca.issue(DOMAIN, tmp_path / "pki")
            port = free_port()
            values = {"datastore_dir": stores, "job_retry_seconds": 0.2, "job_poll_seconds": 0.2,
                      "public_url": f"http://127.0.0.1:{port}", "opendsr_key": key,
                      "opendsr_certificate": cert, "opendsr_domain": DOMAIN}  # fmt: skip
            app = create_app(make_settings(**(values | overrides)), loaded=example_map)
            url = stack.enter_context(serve(app, port))
            return Processor(url, app.state.platform, stores, ca)

        yield start


@pytest.fixture
def processor(start_processor: Callable[..., Processor]) -> Processor:
    return start_processor()


@pytest.fixture
def callbacks(processor: Processor) -> Iterator[Callbacks]:
    server, endpoint = callback_server(processor.verifier())
    yield endpoint
    endpoint.hold.set()
    server.shutdown()
    server.server_close()


def lumiere_customer(stores: Path) -> str:
    with sqlite3.connect(stores / "contact_eu.sqlite") as db:
        (email,) = db.execute("SELECT email FROM customers ORDER BY customer_id").fetchone()
    return str(email)


def everywhere(stores: Path, email: str) -> None:
    """Make the person one of our contacts and one of Brightpath's customers too."""
    with sqlite3.connect(stores / "crm.sqlite") as db:
        db.execute("UPDATE contacts SET email = ? WHERE contact_id = "
                   "(SELECT MIN(contact_id) FROM contacts)", (email,))  # fmt: skip
    with sqlite3.connect(stores / "contact_us.sqlite") as db:
        db.execute("UPDATE customers SET email = ? WHERE customer_id = "
                   "(SELECT MIN(customer_id) FROM customers)", (email,))  # fmt: skip


def files(stores: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(stores.glob("*.sqlite"))}


def completed(
    controller: Controller, subject_request_id: str, callbacks: Callbacks
) -> dict[str, Any]:
    """The last status, once the verified callbacks say completed."""
    for _ in range(2):
        seen = callbacks.wait_for(len(callbacks.verified) + 1)
        if any(b["subject_request_id"] == subject_request_id and b["request_status"] == "completed"
               for b in seen):  # fmt: skip
            break
    answer = controller.status(subject_request_id)
    controller.verifier.check(answer.headers, answer.content)
    return dict(answer.json())


# --- discovery and signatures (§6, §4) -----------------------------------------------------


def test_discovery_is_signed_by_a_certificate_for_our_domain_from_the_trusted_ca(
    processor: Processor,
) -> None:
    answer = httpx.get(f"{processor.url}/opendsr/v1/discovery")
    assert answer.status_code == 200
    body = answer.json()
    assert body["supported_subject_request_types"] == ["access", "portability", "erasure"]
    assert {"identity_type": "email", "identity_format": "raw"} in body["supported_identities"]
    assert answer.headers["X-OpenDSR-Processor-Domain"] == DOMAIN
    processor.verifier().check(answer.headers, answer.content)  # raises if anything is off


def test_a_certificate_from_another_ca_or_for_another_domain_or_a_changed_body_is_refused(
    processor: Processor, tmp_path: Path
) -> None:
    answer = httpx.get(f"{processor.url}/opendsr/v1/discovery")
    chain = httpx.get(answer.json()["processor_certificate"]).content
    now = datetime.now(UTC)
    with pytest.raises(SigningError, match="does not verify"):
        verified_certificate(chain, domain=DOMAIN, roots=[Authority().root], now=now)
    with pytest.raises(SigningError, match="does not verify"):
        verified_certificate(chain, domain="other.test", roots=[processor.ca.root], now=now)
    leaf = verified_certificate(chain, domain=DOMAIN, roots=[processor.ca.root], now=now)
    with pytest.raises(SigningError, match="does not match"):
        verify_signature(leaf, answer.content + b" ", answer.headers["X-OpenDSR-Signature"])


def test_the_opengdpr_routes_answer_with_the_opengdpr_headers(processor: Processor) -> None:
    controller = processor.client("lumiere")
    controller.collection = "/opengdpr/v1/opengdpr_requests"
    request = controller.request("access", "nobody@nowhere.example")
    answer = controller.call("POST", body=request)
    assert answer.status_code == 201
    assert answer.headers["X-OpenGDPR-Processor-Domain"] == DOMAIN
    controller.verifier.check(answer.headers, answer.content, legacy=True)


# --- requests, credentials and scope (§7–9, Art. 28(3)(a)) -----------------------------------


def test_an_erasure_from_a_client_touches_exactly_its_datasets_and_is_reported_by_callbacks(
    processor: Processor, callbacks: Callbacks
) -> None:
    email = lumiere_customer(processor.stores)
    everywhere(processor.stores, email)
    before = files(processor.stores)
    lumiere = processor.client("lumiere")
    request = lumiere.request("erasure", email, [callbacks.url])
    answer = lumiere.call("POST", body=request)
    assert answer.status_code == 201, answer.text
    lumiere.verifier.check(answer.headers, answer.content)
    created = answer.json()
    assert created["controller_id"] == "lumiere"
    assert created["subject_request_id"] == request["subject_request_id"]
    assert email not in answer.text  # the request is only base64-encoded in the receipt
    status = completed(lumiere, request["subject_request_id"], callbacks)
    assert status["request_status"] == "completed"
    assert status["results_count"] > 0
    assert [b["request_status"] for b in callbacks.verified] == ["in_progress", "completed"]
    assert {b["status_callback_url"] for b in callbacks.verified} == {callbacks.url}
    after = files(processor.stores)
    assert after["contact_eu.sqlite"] != before["contact_eu.sqlite"]
    assert {k: v for k, v in after.items() if k != "contact_eu.sqlite"} == {
        k: v for k, v in before.items() if k != "contact_eu.sqlite"
    }
    with sqlite3.connect(processor.stores / "contact_eu.sqlite") as db:
        assert db.execute(
            "SELECT count(*) FROM customers WHERE email = ?", (email,)
        ).fetchone() == (0,)


def test_an_access_gives_the_client_its_results_for_a_week_and_no_other_client_can_read_them(
    processor: Processor, callbacks: Callbacks
) -> None:
    email = lumiere_customer(processor.stores)
    everywhere(processor.stores, email)
    lumiere, brightpath = processor.client("lumiere"), processor.client("brightpath")
    request = lumiere.request("access", email, [callbacks.url])
    assert lumiere.call("POST", body=request).status_code == 201
    status = completed(lumiere, request["subject_request_id"], callbacks)
    url = status["results_url"]
    assert url.startswith(processor.url)
    package = httpx.get(url, headers={"Authorization": f"Bearer {lumiere.token}"})
    assert package.status_code == 200
    lumiere.verifier.check(package.headers, package.content)
    names = zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    assert any("lumiere_customers" in name for name in names)
    assert not any("brightpath" in name or "crm" in name or "contacts" in name for name in names)
    assert httpx.get(url).status_code == 401
    assert (
        httpx.get(url, headers={"Authorization": f"Bearer {brightpath.token}"}).status_code == 404
    )
    assert brightpath.status(request["subject_request_id"]).status_code == 404
    with processor.platform.sessions() as session:  # a week later, housekeeping drops it
        assert purge_results(session, now=datetime.now(UTC) + timedelta(days=8)) == 1
        session.commit()
    auth = {"Authorization": f"Bearer {lumiere.token}"}
    assert httpx.get(url, headers=auth).status_code == 404
    assert "results_url" not in lumiere.status(request["subject_request_id"]).json()


def test_a_request_without_a_valid_token_is_refused_401_and_nothing_is_stored(
    processor: Processor,
) -> None:
    stranger = Controller(processor.url, "odsr_not-a-token", processor.verifier())
    answer = stranger.call("POST", body=stranger.request("erasure", "a@b.example"))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == 401
    stranger.token = None
    assert stranger.call("POST", body=stranger.request("erasure", "a@b.example")).status_code == 401


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject_request_id": "NOT-A-UUID"}, "subject_request_id"),
        ({"subject_request_type": "rectification"}, "subject_request_type"),
        ({"regulation": "pipeda"}, "regulation"),
        ({"submitted_time": "yesterday"}, "submitted_time"),
        (
            {
                "subject_identities": [
                    {"identity_type": "email", "identity_format": "sha256", "identity_value": "ab"}
                ]
            },
            "No supported identity",
        ),
        ({"status_callback_urls": ["http://evil.example/x"]}, "https"),
    ],
)
def test_a_malformed_request_gets_a_signed_400_in_the_specs_shape(
    processor: Processor, change: dict[str, Any], message: str
) -> None:
    lumiere = processor.client("lumiere")
    answer = lumiere.call("POST", body=lumiere.request("access", "a@b.example") | change)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == 400
    assert message in error["message"]
    assert error["errors"][0]["domain"] == "OpenDSR"
    lumiere.verifier.check(answer.headers, answer.content)


def test_the_same_subject_request_id_twice_is_refused(processor: Processor) -> None:
    lumiere = processor.client("lumiere")
    request = lumiere.request("access", "a@b.example")
    assert lumiere.call("POST", body=request).status_code == 201
    again = lumiere.call("POST", body=request)
    assert again.status_code == 400
    assert again.json()["error"]["errors"][0]["reason"] == "Duplicate"


def test_a_pending_request_is_cancelled_and_a_completed_one_cannot_be(
    start_processor: Callable[..., Processor],
) -> None:
    # No poller: the one job thread runs tasks in order, so a request waits while the
    # callback before it is held by the controller.
    processor = start_processor(job_poll_seconds=3600)
    server, callbacks = callback_server(processor.verifier())
    try:
        lumiere = processor.client("lumiere")
        first = lumiere.request("access", "a@b.example", [callbacks.url])
        callbacks.hold.clear()
        assert lumiere.call("POST", body=first).status_code == 201
        second = lumiere.request("erasure", lumiere_customer(processor.stores), [callbacks.url])
        assert lumiere.call("POST", body=second).status_code == 201
        assert lumiere.status(second["subject_request_id"]).json()["request_status"] == "pending"
        cancelled = lumiere.call("DELETE", f"/{second['subject_request_id']}")
        assert cancelled.status_code == 202
        lumiere.verifier.check(cancelled.headers, cancelled.content)
        assert cancelled.json()["subject_request_id"] == second["subject_request_id"]
        callbacks.hold.set()
        settle(processor.platform)
        assert lumiere.status(second["subject_request_id"]).json()["request_status"] == "cancelled"
        assert lumiere.status(first["subject_request_id"]).json()["request_status"] == "completed"
        refused = lumiere.call("DELETE", f"/{first['subject_request_id']}")
        assert refused.status_code == 400
        assert "completed" in refused.json()["error"]["message"]
        states = [(b["subject_request_id"], b["request_status"]) for b in callbacks.verified]
        assert (second["subject_request_id"], "cancelled") in states
        assert (second["subject_request_id"], "in_progress") not in states
    finally:
        callbacks.hold.set()
        server.shutdown()
        server.server_close()


def test_a_callback_the_controller_fails_is_retried_until_it_answers(
    processor: Processor, receiver: Receiver
) -> None:
    receiver.failures[0] = 2  # two 500s, then 200
    lumiere = processor.client("lumiere")
    request = lumiere.request("access", "nobody@nowhere.example", [receiver.url])
    assert lumiere.call("POST", body=request).status_code == 201
    states = [b["request_status"] for b in receiver.wait_for(2)]
    assert sorted(states) == ["completed", "in_progress"]


def test_without_a_signing_key_the_endpoints_say_so_with_404(
    start_processor: Callable[..., Processor],
) -> None:
    processor = start_processor(opendsr_key=None, opendsr_certificate=None)
    answer = httpx.get(f"{processor.url}/opendsr/v1/discovery")
    assert answer.status_code == 404
    assert "not configured" in answer.json()["error"]["message"]
    assert httpx.get(f"{processor.url}/opendsr/v1/cert.pem").status_code == 404
