"""OpenDSR 2.0 as the controller, against a processor written for the tests: once our own run
is done, an erasure goes to the processor the map declares; the request stays running until
the processor's callback — signed with a certificate from the test CA, checked by us — says
completed (or polling finds it so); a forged or foreign callback changes nothing."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.datamap.outbound import RecipientOpenDsr
from lawful.interop.opendsr.models import OpenDsrOutgoing
from lawful.platform import RunningPlatform as Platform
from lawful.requests import repository, service
from lawful.requests.intake import Intake
from lawful.requests.models import ForwardStatus, RightsRequest
from lawful.requests.states import RequestStatus
from lawful.web.app import create_app

from ..conftest import free_port, settle
from ..support.servers import serve
from .opendsr_peers import Authority, PeerProcessor, peer_processor

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
TOKEN_ENV = "VENDOR_OPENDSR_TOKEN"


@dataclass
class World:
    url: str
    platform: Platform
    stores: Path
    peer: PeerProcessor


@pytest.fixture
def world(
    make_settings: Callable[..., Settings],
    example_map: LoadedMap,
    company_files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """The example company, whose CRM vendor takes requests by OpenDSR (the peer)."""
    ca = Authority()
    server, peer = peer_processor(ca, tmp_path / "pki")
    roots = tmp_path / "roots.pem"
    roots.write_bytes(ca.root.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv(TOKEN_ENV, peer.token)
    monkeypatch.setenv("LAWFUL_OPENDSR_TRUSTED_CAS", str(roots))
    endpoint = RecipientOpenDsr(url=peer.url, domain=peer.domain, token_env=TOKEN_ENV)
    datamap = example_map.datamap
    vendor = datamap.recipients["crm_vendor"].model_copy(update={"opendsr": endpoint})
    changed = datamap.model_copy(
        update={"recipients": {**datamap.recipients, "crm_vendor": vendor}}
    )
    loaded = LoadedMap(**{**vars(example_map), "datamap": changed})
    stores = tmp_path / "stores"
    shutil.copytree(company_files, stores)
    port = free_port()
    settings = make_settings(datastore_dir=stores, job_retry_seconds=0.2, job_poll_seconds=0.2,
                             public_url=f"http://127.0.0.1:{port}")  # fmt: skip
    with ExitStack() as stack:
        app = create_app(settings, loaded=loaded)
        url = stack.enter_context(serve(app, port))
        yield World(url, app.state.platform, stores, peer)
    server.shutdown()
    server.server_close()


def someone_in(stores: Path) -> str:
    with sqlite3.connect(stores / "crm.sqlite") as db:
        (email,) = db.execute("SELECT email FROM contacts ORDER BY contact_id LIMIT 1").fetchone()
    return str(email)


def approved_erasure(world: World, email: str) -> str:
    ctx = world.platform.requests
    with world.platform.sessions() as session:
        made = service.submit_request(
            session, ctx=ctx, intake=Intake(request_type="erasure", email=email, country="FR")
        )
        reference = made.request.reference
        service.confirm_identity(session, ctx=ctx, reference=reference, actor="staff:test")
        service.approve_request(session, ctx=ctx, reference=reference, actor="staff:test")
        session.commit()
    return reference


def state(world: World, reference: str) -> tuple[RequestStatus, list[tuple[str, ForwardStatus]]]:
    settle(world.platform)
    with world.platform.sessions() as session:
        request = session.query(RightsRequest).filter_by(reference=reference).one()
        rows = repository.forwards(session, request_id=request.id)
        return request.status, [(row.client, row.status) for row in rows]


def test_an_erasure_waits_for_the_processor_and_closes_on_its_verified_callback(
    world: World,
) -> None:
    email = someone_in(world.stores)
    reference = approved_erasure(world, email)
    sent = world.peer.wait_for_request()
    assert sent["subject_request_type"] == "erasure"
    assert sent["subject_identities"] == [
        {"identity_type": "email", "identity_value": email.lower(), "identity_format": "raw"}
    ]
    assert sent["status_callback_urls"] == [f"{world.url}/opendsr/v1/callbacks"]
    status, forwards = state(world, reference)
    assert status is RequestStatus.running
    assert forwards == [("recipient:crm_vendor", ForwardStatus.open)]
    assert world.peer.callback(sent["subject_request_id"], "in_progress") == 202
    assert state(world, reference)[0] is RequestStatus.running
    assert world.peer.callback(sent["subject_request_id"], "completed") == 202
    status, forwards = state(world, reference)
    assert status is RequestStatus.completed
    assert forwards == [("recipient:crm_vendor", ForwardStatus.recorded)]
    with world.platform.sessions() as session:
        request = session.query(RightsRequest).filter_by(reference=reference).one()
        events = [e.action for e in request.events]
    assert "forward_recorded" in events


def test_a_forged_or_foreign_callback_is_refused_and_changes_nothing(world: World) -> None:
    reference = approved_erasure(world, someone_in(world.stores))
    sid = world.peer.wait_for_request()["subject_request_id"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert world.peer.callback(sid, "completed", key=stranger) == 400  # signature
    assert world.peer.callback(sid, "completed", domain="evil.test") == 401  # not allowed
    assert world.peer.callback(sid, "completed", url="https://elsewhere.example/cb") == 400
    assert state(world, reference) == (
        RequestStatus.running, [("recipient:crm_vendor", ForwardStatus.open)]
    )  # fmt: skip


def test_without_a_callback_polling_finds_the_processor_done_and_closes_the_request(
    world: World,
) -> None:
    reference = approved_erasure(world, someone_in(world.stores))
    sid = world.peer.wait_for_request()["subject_request_id"]
    world.peer.statuses[sid] = "completed"  # the processor is done but never calls back
    with world.platform.sessions() as session:
        for _ in range(600):  # the poll task is retried every 0.2 s: wait for it
            settle(world.platform)
            session.expire_all()
            if session.get(OpenDsrOutgoing, sid).status == "completed":  # type: ignore[union-attr]
                break
            time.sleep(0.1)
    assert state(world, reference) == (
        RequestStatus.completed, [("recipient:crm_vendor", ForwardStatus.recorded)]
    )  # fmt: skip
