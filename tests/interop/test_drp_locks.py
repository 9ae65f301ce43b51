"""Revoking one request from many connections at once, on PostgreSQL (row locks) and
SQLite (one writer): exactly one revoke wins, one callback goes out."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from lawful.requests.models import RightsRequest

from .conftest import Business, Receiver
from .test_drp import paired

PARALLEL = 24
pytestmark = pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)


def test_parallel_revokes_of_one_request_revoke_it_exactly_once(
    business: Business, receiver: Receiver
) -> None:
    agent = paired(business)
    claims = agent.exercise(email="someone@example.org", status_callback=receiver.url)
    made = agent.submit(agent.sign(claims)).json()
    path = f"/v1/data-rights-request/{made['request_id']}"
    bodies = [agent.sign({"reason": f"try {n}"}) for n in range(PARALLEL)]
    barrier = threading.Barrier(PARALLEL)

    def revoke(body: bytes) -> int:
        barrier.wait()
        return agent.call("DELETE", path, body).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = Counter(pool.map(revoke, bodies))
    assert answers == {200: 1, 409: PARALLEL - 1}
    with business.platform.sessions() as session:
        request = session.scalars(select(RightsRequest)).one()
        assert [e.action for e in request.events].count("cancelled") == 1
    assert [b["status"] for b in receiver.wait_for(1)] == ["revoked"]
