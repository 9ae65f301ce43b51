"""The Data Rights Protocol 1.0 against a real server: a test agent signing with libsodium
(PyNaCl) pairs, submits, follows and revokes over HTTP; each step of the spec's validation
order (§3.07) is failed alone and answered as the spec says; callbacks reach a receiver."""

from __future__ import annotations

import base64
import logging
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.auth.service import create_user
from lawful.interop.drp.models import DrpToken
from lawful.requests import service
from lawful.requests.models import RightsRequest
from lawful.requests.states import RequestStatus

from ..web.conftest import PASSWORD, csrf
from .conftest import Agent, Business, Receiver

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def someone_in(stores: Path) -> str:
    with sqlite3.connect(stores / "crm.sqlite") as db:
        (email,) = db.execute("SELECT email FROM contacts ORDER BY contact_id LIMIT 1").fetchone()
    return str(email)


def paired(business: Business, agent_id: str = "TEST_AGENT") -> Agent:
    agent = business.trust(agent_id)
    assert agent.pair().status_code == 200
    return agent


# --- pair-wise setup and agent information (§2.05, §2.06) -------------------------------------


def test_a_trusted_agent_pairs_and_its_token_is_stored_only_hashed(business: Business) -> None:
    agent = business.trust("TEST_AGENT")
    answer = agent.pair()
    assert answer.status_code == 200
    assert answer.json() == {"agent-id": "TEST_AGENT", "token": agent.token}
    assert agent.call("GET", "/v1/agent/TEST_AGENT").json() == {}
    with business.platform.sessions() as session:
        stored = session.scalars(select(DrpToken.token_hash)).all()
    assert len(stored) == 1
    assert agent.token is not None
    assert agent.token not in stored[0]


def test_pairing_fails_with_a_bare_403_for_a_wrong_key_unknown_agent_or_other_business(
    business: Business,
) -> None:
    agent = business.trust("TEST_AGENT")
    forged = agent.sign(agent.envelope(), key=SigningKey.generate())
    wrong = [
        agent.call("POST", "/v1/agent/TEST_AGENT", forged),
        agent.call(
            "POST", "/v1/agent/NOBODY", agent.sign(agent.envelope(**{"agent-id": "NOBODY"}))
        ),
        agent.call(
            "POST", "/v1/agent/TEST_AGENT", agent.sign(agent.envelope(**{"business-id": "X"}))
        ),
        agent.call("POST", "/v1/agent/OTHER", agent.sign(agent.envelope())),  # URL ≠ claim
        agent.call("POST", "/v1/agent/TEST_AGENT", b"%%% not base64"),
    ]
    assert [(a.status_code, a.content) for a in wrong] == [(403, b"")] * len(wrong)


def test_agent_information_refuses_a_token_of_another_agent_or_none(business: Business) -> None:
    first, second = paired(business, "FIRST"), paired(business, "SECOND")
    assert first.call("GET", "/v1/agent/SECOND").status_code == 403
    second.token = None
    refused = second.call("GET", "/v1/agent/SECOND")
    assert refused.status_code == 403
    assert refused.json()["code"] == "403"


# --- the validation order (§3.07): each step failed alone ----------------------------------------


def test_step_1_a_body_that_is_not_base64_is_refused_400(business: Business) -> None:
    answer = paired(business).submit(b"this is not base64!")
    assert answer.status_code == 400
    assert answer.json()["code"] == "400"
    assert "base64" in answer.json()["message"]


def test_step_2_a_signature_by_another_key_is_refused_403(business: Business) -> None:
    agent = paired(business)
    answer = agent.submit(agent.sign(agent.exercise(), key=SigningKey.generate()))
    assert answer.status_code == 403
    assert "signature" in answer.json()["message"]


def test_step_2_checks_the_key_bound_to_the_token_not_the_agent_the_message_names(
    business: Business,
) -> None:
    mallory, alice = paired(business, "MALLORY"), paired(business, "ALICE")
    # Signed by Alice's key and naming Alice, but sent with Mallory's token.
    alice_body = alice.sign(alice.exercise())
    answer = mallory.submit(alice_body)
    assert answer.status_code == 403
    assert "signature" in answer.json()["message"]


def test_step_3_an_agent_id_other_than_the_tokens_is_refused_403(business: Business) -> None:
    agent = paired(business)
    answer = agent.submit(agent.sign(agent.exercise(**{"agent-id": "SOMEONE_ELSE"})))
    assert answer.status_code == 403
    assert "agent-id" in answer.json()["message"]


def test_step_4_a_request_for_another_business_is_refused_403(business: Business) -> None:
    agent = paired(business)
    answer = agent.submit(agent.sign(agent.exercise(**{"business-id": "ACME"})))
    assert answer.status_code == 403
    assert "business-id" in answer.json()["message"]


def test_step_5_a_request_issued_in_the_future_is_refused_400(business: Business) -> None:
    agent = paired(business)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    answer = agent.submit(agent.sign(agent.exercise(**{"issued-at": later})))
    assert answer.status_code == 400
    assert "issued-at" in answer.json()["message"]
    assert "fatal" not in answer.json()


def test_step_6_an_expired_request_is_refused_with_a_fatal_error(business: Business) -> None:
    agent = paired(business)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    answer = agent.submit(agent.sign(agent.exercise(**{"expires-at": past})))
    assert answer.status_code == 400
    assert answer.json() == {"code": "400", "message": answer.json()["message"], "fatal": True}


def test_the_steps_run_in_order_a_request_wrong_everywhere_gets_the_first_answer(
    business: Business,
) -> None:
    agent = paired(business)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    everything_wrong = agent.exercise(**{"agent-id": "X", "business-id": "Y", "expires-at": past})
    forged = agent.sign(everything_wrong, key=SigningKey.generate())
    assert "signature" in agent.submit(forged).json()["message"]
    assert "agent-id" in agent.submit(agent.sign(everything_wrong)).json()["message"]
    with business.platform.sessions() as session:
        assert session.scalars(select(RightsRequest)).all() == []


def test_an_unknown_action_is_refused_and_nothing_is_stored(business: Business) -> None:
    agent = paired(business)
    answer = agent.submit(
        agent.sign(agent.exercise(exercise="sale:opt_in", email="a@b.example.org"))
    )
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("Unsupported rights actions submitted")


# --- exercise, status, revoke, callbacks ---------------------------------------------------------


def test_a_request_from_an_agent_is_in_progress_with_the_laws_deadline_and_names_the_agent(
    business: Business, receiver: Receiver
) -> None:
    agent = paired(business)
    claims = agent.exercise(email="someone@example.org", status_callback=receiver.url,
                            **{"agent-request-id": "abc-1"})  # fmt: skip
    answer = agent.submit(agent.sign(claims))
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert status["status"] == "in_progress"
    assert status["agent_request_id"] == "abc-1"
    # The deadline `law/` computed at receipt: an organisation established in the EU answers
    # everyone within one month (GDPR Art. 3(1), Art. 12(3)), stricter than CCPA's 45 days.
    expected = date.fromisoformat(status["expected_by"][:10])
    assert 28 <= (expected - datetime.now(UTC).date()).days <= 31
    followed = agent.call("GET", f"/v1/data-rights-request/{status['request_id']}")
    assert followed.json() == status
    with business.platform.sessions() as session:
        stored = session.scalars(select(RightsRequest)).one()
    assert (stored.channel, stored.agent, stored.status) == (
        "agent", "Test Agent App", RequestStatus.verified)  # fmt: skip
    assert stored.verified_at is not None  # the agent's proof (11 CCR §7063), no code
    assert expected == stored.respond_by


def test_another_agent_cannot_read_or_revoke_a_request(business: Business) -> None:
    owner, other = paired(business, "OWNER"), paired(business, "OTHER")
    made = owner.submit(owner.sign(owner.exercise(email="someone@example.org"))).json()
    path = f"/v1/data-rights-request/{made['request_id']}"
    assert other.call("GET", path).status_code == 403
    assert other.call("DELETE", path, other.sign({"reason": "no"})).status_code == 403
    assert other.call("GET", "/v1/data-rights-request/nope").status_code == 404


def test_a_revoke_moves_the_request_to_revoked_and_calls_back(
    business: Business, receiver: Receiver
) -> None:
    agent = paired(business)
    claims = agent.exercise(email="someone@example.org", status_callback=receiver.url)
    made = agent.submit(agent.sign(claims)).json()
    path = f"/v1/data-rights-request/{made['request_id']}"
    unsigned = agent.call("DELETE", path, base64.b64encode(b"x" * 80))
    assert unsigned.status_code == 403
    revoked = agent.call("DELETE", path, agent.sign({"reason": "changed my mind"}))
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert receiver.wait_for(1)[-1]["status"] == "revoked"


def test_a_callback_the_agent_refuses_is_retried_until_it_is_taken(
    business: Business, receiver: Receiver
) -> None:
    receiver.failures[0] = 2
    agent = paired(business)
    claims = agent.exercise(email="someone@example.org", status_callback=receiver.url)
    made = agent.submit(agent.sign(claims)).json()
    agent.call("DELETE", f"/v1/data-rights-request/{made['request_id']}", agent.sign({}))
    assert receiver.wait_for(1)[0]["status"] == "revoked"
    assert receiver.failures[0] == 0  # two refusals, then delivered


def test_a_deletion_end_to_end_pair_submit_approve_erase_fulfilled_then_revoke_refused(
    business: Business, receiver: Receiver, tmp_path: Path
) -> None:
    stores = tmp_path / "stores"
    email = someone_in(stores)
    agent = paired(business)
    claims = agent.exercise(email=email, status_callback=receiver.url)
    made = agent.submit(agent.sign(claims)).json()
    assert made["status"] == "in_progress"
    assert "expected_by" in made
    platform = business.platform
    with platform.sessions() as session:
        request = session.scalars(select(RightsRequest)).one()
        service.approve_request(
            session, ctx=platform.requests, reference=request.reference, actor="staff:test"
        )
        session.commit()
    fulfilled = receiver.wait_for(1, timeout=60)[-1]
    assert fulfilled["status"] == "fulfilled"
    assert fulfilled["request_id"] == made["request_id"]
    with sqlite3.connect(stores / "crm.sqlite") as db:
        left = db.execute("SELECT count(*) FROM contacts WHERE email = ?", (email,)).fetchone()
    assert left == (0,)
    path = f"/v1/data-rights-request/{made['request_id']}"
    assert agent.call("GET", path).json()["status"] == "fulfilled"
    refused = agent.call("DELETE", path, agent.sign({"reason": "too late"}))
    assert refused.status_code == 409
    assert refused.json()["code"] == "409"
    assert agent.call("GET", path).json()["status"] == "fulfilled"


def test_staff_see_the_agent_named_on_its_requests_in_the_console(business: Business) -> None:
    agent = paired(business)
    agent.submit(agent.sign(agent.exercise(email="someone@example.org")))
    with business.platform.sessions() as session:
        create_user(session, keyring=business.platform.keyring, email="po@staff.example",
                    name="PO", role=Role.privacy_officer, password=PASSWORD, actor="test")  # fmt: skip
        session.commit()
        reference = session.scalars(select(RightsRequest.reference)).one()
    with httpx.Client(base_url=business.url) as browser:
        token = csrf(browser.get("/admin/sign-in"))
        form = {"csrf_token": token, "email": "po@staff.example", "password": PASSWORD}
        assert browser.post("/admin/sign-in", data=form).status_code == 303
        assert "via agent Test Agent App" in browser.get("/admin/requests").text
        page = browser.get(f"/admin/requests/{reference}").text
    assert "authorized agent Test Agent App" in page


def test_the_bearer_token_and_the_persons_email_never_reach_the_logs(
    business: Business, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = paired(business)
    claims = agent.exercise(email="hidden.person@example.org", status_callback=receiver.url)
    made = agent.submit(agent.sign(claims)).json()
    agent.call("GET", f"/v1/data-rights-request/{made['request_id']}")
    agent.call("DELETE", f"/v1/data-rights-request/{made['request_id']}", agent.sign({}))
    receiver.wait_for(1)
    assert caplog.records  # the server did log (requests, jobs)
    assert agent.token is not None
    assert agent.token not in caplog.text
    assert "hidden.person" not in caplog.text
