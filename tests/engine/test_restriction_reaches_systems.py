"""Decisions that reach the systems: a restriction placed on a person becomes a marker per
dataset, told to the dataset's system by a signed webhook (a real receiver on a free port),
retried while the receiver is down, failing or slow, never doubled."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.engine.datastores import registry_factory
from lawful.engine.restriction import RestrictionReason, run_restriction
from lawful.law.requests import RequestType
from lawful.markers.hooks import decision_hook
from lawful.markers.models import Marker, MarkerChange, MarkerKind
from lawful.markers.service import WEBHOOK_JOB, PersonInDataset, place_marker
from lawful.markers.tasks import deliver_change
from lawful.requests import hooks
from lawful.requests.execution import EngineEnv, RunOrder, run_request
from lawful.retention.holds import legal_holds_on
from lawful.store.audit import AuditEntry
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.models import utcnow
from lawful.store.tasks import JOBS_LANE, Task, TaskStatus
from lawful.worker.jobs import compose
from lawful.worker.runner import RetryPolicy, TaskRunner

from ..support.receivers import Receiver, webhook_receiver
from ..support.servers import free_port
from .conftest import Shop

SECRET = "whsec_" + base64.b64encode(b"s3cret-key-for-the-crm-webhook!!").decode()
NOTIFY = (
    "\n    notify: {webhook: {url_env: PEOPLE_HOOK_URL, secret_env: PEOPLE_HOOK_SECRET,"
    " timeout_seconds: 0.5}}"
)


@dataclass
class Recorder:
    """A job queue that only keeps the ids it is handed (the test runs them)."""

    ids: list[str] = field(default_factory=list)

    def dispatch(self, task_ids: Sequence[str], *, lane: str = JOBS_LANE) -> None:
        self.ids.extend(task_ids)


def told_map(shop: Shop) -> DataMap:
    """The shop's map, with its `people` dataset told of decisions by a webhook."""
    path: Path = shop.map_path
    text = path.read_text().replace(
        "  people:\n    system: shop", "  people:\n    system: shop" + NOTIFY
    )
    path.write_text(text)
    return load_datamap(path).datamap


def runner(
    sessions: sessionmaker[Session], datamap: DataMap, keyring: Keyring, environ: dict[str, str]
) -> TaskRunner:
    def body(payload: dict[str, Any]) -> None:
        deliver_change(sessions, datamap=datamap, keyring=keyring, environ=environ, payload=payload)

    return TaskRunner(
        sessions,
        compose({WEBHOOK_JOB: body}),
        name="test",
        retry=RetryPolicy(timedelta(0), timedelta(0)),
    )


def restrict(
    shop: Shop,
    datamap: DataMap,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    queue: Recorder,
    *,
    lift: bool = False,
) -> None:
    identity = shop.identity("email=alice@example.org")
    with shop.datastores() as datastores, sessions() as session:
        result = run_restriction(
            session,
            datamap=datamap,
            identity=identity,
            datastores=datastores,
            keyring=keyring,
            reason=RestrictionReason.legal_claims,
            lift=lift,
        )
        decision_hook(queue)(
            session,
            datamap=datamap,
            keyring=keyring,
            identity=identity,
            keys=result.keys,
            kind="restriction",
            reason="legal_claims",
            lift=lift,
            actor="staff:dpo",
        )
        session.commit()


def task_state(sessions: sessionmaker[Session], task_id: str) -> tuple[TaskStatus, str | None]:
    with sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        return task.status, task.last_error


@pytest.fixture
def environ() -> dict[str, str]:
    return {"PEOPLE_HOOK_SECRET": SECRET}


def test_a_restriction_reaches_the_receiver_signed_and_once(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, environ: dict[str, str]
) -> None:
    datamap, queue = told_map(sqlite_shop), Recorder()
    with webhook_receiver(free_port()) as receiver:
        environ["PEOPLE_HOOK_URL"] = receiver.url
        restrict(sqlite_shop, datamap, sessions, keyring, queue)
        assert len(queue.ids) == 1  # only `people` declares a webhook; the others poll
        assert runner(sessions, datamap, keyring, environ).run(queue.ids[0]) is TaskStatus.done
        [got] = receiver.received
        event = Webhook(SECRET).verify(got.body, got.headers)
        assert event["type"] == "marker.placed"
        data = event["data"]
        assert (data["dataset"], data["kind"], data["reason"]) == (
            "people",
            "restriction",
            "legal_claims",
        )
        assert data["identities"] == {"email": ["alice@example.org"]}
        assert data["keys"]
        assert data["active"] is True
        with pytest.raises(WebhookVerificationError):  # a forged body fails the check
            Webhook(SECRET).verify(got.body.replace(b"legal_claims", b"accuracy_xx"), got.headers)
        other = Webhook("whsec_" + base64.b64encode(b"x" * 32).decode())
        with pytest.raises(WebhookVerificationError):  # so does another secret
            other.verify(got.body, got.headers)

        restrict(sqlite_shop, datamap, sessions, keyring, queue)  # in force already
        assert len(queue.ids) == 1

        restrict(sqlite_shop, datamap, sessions, keyring, queue, lift=True)
        assert len(queue.ids) == 2
        assert runner(sessions, datamap, keyring, environ).run(queue.ids[1]) is TaskStatus.done
        lifted = Webhook(SECRET).verify(receiver.received[1].body, receiver.received[1].headers)
        assert lifted["type"] == "marker.lifted"
        assert lifted["data"]["active"] is False
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(set(ids)) == 2

    with sessions() as session:
        polled = session.scalars(
            select(MarkerChange.dataset).where(MarkerChange.notify == "poll")
        ).all()
        assert "orders" in polled  # datasets without a webhook get markers to poll
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"marker.placed", "marker.lifted", "marker.delivered"} <= actions
        sealed = b"".join(session.scalars(select(Marker.identity_sealed)))
        assert b"alice@example.org" not in sealed


def test_a_receiver_down_then_up_gets_the_change_on_retry(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, environ: dict[str, str]
) -> None:
    datamap, queue, port = told_map(sqlite_shop), Recorder(), free_port()
    environ["PEOPLE_HOOK_URL"] = f"http://127.0.0.1:{port}/hooks/markers"
    restrict(sqlite_shop, datamap, sessions, keyring, queue)
    run = runner(sessions, datamap, keyring, environ)
    assert run.run(queue.ids[0]) is TaskStatus.retrying
    status, error = task_state(sessions, queue.ids[0])
    assert status is TaskStatus.retrying
    assert "could not be reached" in (error or "")
    assert "alice" not in (error or "")
    with webhook_receiver(port) as receiver:
        assert run.run(queue.ids[0]) is TaskStatus.done
        assert len(receiver.received) == 1


def test_a_receiver_answering_500_is_retried_with_the_same_id(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, environ: dict[str, str]
) -> None:
    datamap, queue = told_map(sqlite_shop), Recorder()
    with webhook_receiver(free_port(), Receiver(statuses=[500])) as receiver:
        environ["PEOPLE_HOOK_URL"] = receiver.url
        restrict(sqlite_shop, datamap, sessions, keyring, queue)
        run = runner(sessions, datamap, keyring, environ)
        assert run.run(queue.ids[0]) is TaskStatus.retrying
        assert "HTTP 500" in (task_state(sessions, queue.ids[0])[1] or "")
        assert run.run(queue.ids[0]) is TaskStatus.done
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert len(receiver.received) == 2
        assert len(ids) == 1  # the receiver can drop the second
        for got in receiver.received:
            Webhook(SECRET).verify(got.body, got.headers)


def test_a_slow_receiver_times_out_and_is_retried(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, environ: dict[str, str]
) -> None:
    datamap, queue = told_map(sqlite_shop), Recorder()
    with webhook_receiver(free_port(), Receiver(delay=2.0)) as receiver:
        environ["PEOPLE_HOOK_URL"] = receiver.url
        restrict(sqlite_shop, datamap, sessions, keyring, queue)
        run = runner(sessions, datamap, keyring, environ)
        assert run.run(queue.ids[0]) is TaskStatus.retrying
        assert "took longer than 0.5s" in (task_state(sessions, queue.ids[0])[1] or "")
        receiver.delay = 0.0
        assert run.run(queue.ids[0]) is TaskStatus.done
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_a_missing_secret_says_which_variable_to_set(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    datamap, queue = told_map(sqlite_shop), Recorder()
    restrict(sqlite_shop, datamap, sessions, keyring, queue)
    assert runner(sessions, datamap, keyring, {}).run(queue.ids[0]) is TaskStatus.retrying
    error = task_state(sessions, queue.ids[0])[1] or ""
    assert "PEOPLE_HOOK_URL" in error
    assert "PEOPLE_HOOK_SECRET" in error


@pytest.fixture
def pg_sessions(pg_store_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_store_engine(pg_store_url)
    yield session_factory(engine)
    engine.dispose()


def test_two_placements_at_once_make_one_marker_and_one_delivery(
    sqlite_shop: Shop, pg_sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    datamap, queue = told_map(sqlite_shop), Recorder()
    person = PersonInDataset("people", f"email=p-{uuid.uuid4().hex}@example.org", {}, [7])
    barrier, results, errors = threading.Barrier(4), [], []

    def place() -> None:
        try:
            with pg_sessions() as session:
                barrier.wait(timeout=10)
                change = place_marker(
                    session,
                    keyring=keyring,
                    datamap=datamap,
                    queue=queue,
                    person=person,
                    kind=MarkerKind.restriction,
                    reason="legal_claims",
                    actor="staff:dpo",
                )
                session.commit()
                results.append(change is not None)
        except Exception as error:  # pragma: no cover - shown by the assertion
            errors.append(error)

    threads = [threading.Thread(target=place) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(results) == [False, False, False, True]
    with pg_sessions() as session:
        index = keyring.index(f"marker\x00people\x00{person.person}")
        [marker_id] = session.scalars(select(Marker.id).where(Marker.person_index == index)).all()
        changes = session.scalars(
            select(MarkerChange.seq).where(MarkerChange.marker_id == marker_id)
        ).all()
        assert len(changes) == 1
        tasks = session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.kind == WEBHOOK_JOB, Task.dedupe_key == f"{WEBHOOK_JOB}:{changes[0]}")
        )
        assert tasks == 1
        assert len(queue.ids) == 1


def test_an_approved_restriction_request_places_the_markers_through_the_hook(
    sqlite_shop: Shop,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request's run (lawful.requests.execution) tells the hook the platform registers."""
    datamap, queue = told_map(sqlite_shop), Recorder()
    factory = registry_factory(datamap, base_dir=sqlite_shop.base_dir, environ=sqlite_shop.environ)
    env = EngineEnv(datamap, keyring, sessions, factory, legal_holds_on)
    order = RunOrder(
        reference="R-TEST-1",
        request_type=RequestType.restriction,
        identity=sqlite_shop.identity("email=alice@example.org"),
        channel="web",
        details={"restriction_reason": "accuracy_contested"},
        today=utcnow().date(),
        now=utcnow(),
    )
    monkeypatch.setitem(hooks.DECISION_HOOKS, "markers", decision_hook(queue))
    outcome = run_request(env, order)
    assert outcome is not None
    assert len(queue.ids) == 1  # the `people` webhook, queued in the run's transaction
    with sessions() as session:
        reasons = set(session.scalars(select(Marker.reason).where(Marker.active.is_(True))))
        actors = set(
            session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "marker.placed"))
        )
    assert reasons == {"accuracy_contested"}
    assert actors == {"request:R-TEST-1"}


def test_a_system_told_by_hand_gets_no_job_but_a_change_to_tell(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    path = sqlite_shop.map_path
    path.write_text(
        path.read_text().replace(
            "  people:\n    system: shop", "  people:\n    system: shop\n    notify: http_connector"
        )
    )
    datamap, queue = load_datamap(path).datamap, Recorder()
    restrict(sqlite_shop, datamap, sessions, keyring, queue)
    assert queue.ids == []
    with sessions() as session:
        notify = session.scalars(
            select(MarkerChange.notify).where(MarkerChange.dataset == "people")
        ).all()
    assert notify == ["http_connector"]


@pytest.mark.parametrize("secret", ["not base64 at all!", "whsec_", "whsec_%%%"])
def test_a_malformed_secret_says_what_a_secret_looks_like(
    sqlite_shop: Shop, sessions: sessionmaker[Session], keyring: Keyring, secret: str
) -> None:
    datamap, queue = told_map(sqlite_shop), Recorder()
    restrict(sqlite_shop, datamap, sessions, keyring, queue)
    environ = {"PEOPLE_HOOK_URL": "http://127.0.0.1:9/never", "PEOPLE_HOOK_SECRET": secret}
    assert runner(sessions, datamap, keyring, environ).run(queue.ids[0]) is TaskStatus.retrying
    error = task_state(sessions, queue.ids[0])[1] or ""
    assert "PEOPLE_HOOK_SECRET must hold a Standard Webhooks secret" in error
