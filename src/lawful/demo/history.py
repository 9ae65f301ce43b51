"""A working year for `lawful demo`: past rights requests in every state, consents and their
withdrawals, retention sweeps and one breach, so the dashboard, the CCPA metrics and the
charts of a new demo show something on first start.

Everything goes through the services staff and people use (`submit_request`, `extend_request`,
`deny_request`, `record_consent`, `open_incident`, a real sweep…), each event with its own fixed
clock, so the history keeps every invariant the services keep (deadlines computed at receipt,
transitions allowed by the state machine, the audit trail written). The mails and runs those
services queue belonged to that past: they are marked done, not sent when the server starts.
The same seed and the same day give the same history; a store that already holds requests is
left as it is, so seeding twice does not double anything.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from lawful.auth.models import Role
from lawful.auth.repository import all_users
from lawful.breach.models import IncidentStatus, Risk
from lawful.breach.service import Changes, open_incident, update_incident
from lawful.config import Settings
from lawful.consent.models import ConsentState
from lawful.consent.service import ConsentEntry, record_consent, withdraw_consent
from lawful.datamap.models import DataMap, Jurisdiction
from lawful.law.denials import DenialReason, valid_reasons
from lawful.law.requests import RequestType
from lawful.requests.context import RequestPolicy, RequestsContext
from lawful.requests.counts import request_records
from lawful.requests.intake import Intake
from lawful.requests.proof import confirm_identity
from lawful.requests.records import expire_unverified_requests
from lawful.requests.service import (
    approve_request,
    cancel_request,
    deny_request,
    extend_request,
    finish_request,
    start_running,
    submit_request,
)
from lawful.requests.states import RequestStatus
from lawful.retention.schedule import sweep_once
from lawful.store.crypto import Keyring
from lawful.store.opening import open_store
from lawful.store.tasks import JOBS_LANE, Task, settle_as_done

S = RequestStatus
SEED = 2026
FIRST = ["Ana", "Bruno", "Chloé", "Dimitris", "Eleni", "Farid", "Grace", "Hugo", "Inès", "Jonas",
         "Katerina", "Léa", "Marco", "Nadia", "Omar", "Paula", "Quentin", "Rosa", "Sam", "Théo"]  # fmt: skip
LAST = ["Martin", "Papadopoulos", "Nguyen", "Garcia", "Dubois", "Smith", "Rossi", "Bernard",
        "Georgiou", "Lefebvre", "Kim", "Moreau", "Silva", "Laurent", "Johnson"]  # fmt: skip
# Where people write from: the example company's laws (GDPR with France and Greece, the CCPA).
PLACES = [("FR", None)] * 9 + [("GR", None)] * 4 + [("US", "CA")] * 7
GDPR_TYPES = [RequestType.access] * 4 + [RequestType.erasure] * 3 + [
    RequestType.portability, RequestType.objection_direct_marketing]  # fmt: skip
CCPA_TYPES = [RequestType.access] * 3 + [RequestType.erasure] * 2 + [
    RequestType.opt_out_sale_sharing] * 2  # fmt: skip
# What became of each request (weights): most answered in time, some late, refused, withdrawn.
FATES = {"completed": 40, "partial": 8, "extended": 7, "denied": 7, "cancelled": 4, "expired": 3}
OPEN_FATES = {"verifying": 4, "awaiting": 4, "overdue": 3}
# Refusals, with the note the officer wrote to the person.
DENIALS = {
    DenialReason.legal_obligation: "Our invoices to you must be kept for ten years "
    "(French Commercial Code L123-22); everything else was erased.",
    DenialReason.excessive: "This is your fourth identical request this month; "
    "our answer of last week still stands.",
    DenialReason.no_match: "We found no record held about you under this address.",
    DenialReason.identity_not_verified: "The code we sent was never entered.",
}


@dataclass
class HistorySummary:
    seeded: bool
    requests: dict[str, int] = field(default_factory=dict)
    consents: int = 0
    withdrawals: int = 0
    breach: str | None = None
    sweeps: int = 0

    def describe(self) -> str:
        if not self.seeded:
            return "The platform store already has requests: no past year added."
        states = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(self.requests.items()))
        return (
            f"A past year: {sum(self.requests.values())} requests ({states}); "
            f"{self.consents} consents, {self.withdrawals} withdrawals; "
            f"{self.sweeps} retention sweeps; breach {self.breach or 'none'}."
        )


class _Past:
    """The dispatcher of the past: the tasks the services queue (mails, runs) belonged to that
    past, so they are marked done in the very transaction that queued them, never handed over
    to a worker (not even to one polling the store at that moment)."""

    def __init__(self) -> None:
        self.task_ids: list[str] = []

    def dispatch(self, task_ids: Sequence[str], *, lane: str = JOBS_LANE) -> None:
        """Committed already, and done: nothing to hand over."""

    def watch(self, session: Session) -> Session:
        event.listen(session, "after_attach", self._attached)
        return session

    def _attached(self, session: Session, instance: object) -> None:
        if isinstance(instance, Task):
            self.task_ids.append(instance.id)

    def settle(self, session: Session, *, at: datetime) -> None:
        session.flush()
        settle_as_done(session, task_ids=self.task_ids, at=at)
        self.task_ids.clear()


@dataclass(frozen=True)
class _Plan:
    number: int
    received: datetime
    request_type: RequestType
    country: str
    region: str | None
    fate: str


def seed_history(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    keyring: Keyring,
    policy: RequestPolicy,
    now: datetime,
    seed: int = SEED,
    sweep: Callable[[date], Any] | None = None,
) -> HistorySummary:
    """Seed the year before `now` (once: nothing if the store holds requests already).
    `sweep(as_of)` runs one retention sweep, when the example's databases are there."""
    with sessions() as session:
        if request_records(session):
            return HistorySummary(seeded=False)
        officer, analyst = _actors(session)
    past = _Past()
    ctx = RequestsContext(datamap, keyring, policy, past)
    rng = random.Random(seed)  # noqa: S311 (a repeatable story, not a secret)
    summary = HistorySummary(seeded=True)
    for plan in _plans(rng, now):
        with past.watch(sessions()) as session:
            status = _play(session, ctx, plan, rng, now=now, officer=officer, analyst=analyst)
            past.settle(session, at=now)
            session.commit()
        summary.requests[status.value] = summary.requests.get(status.value, 0) + 1
    with past.watch(sessions()) as session:
        summary.consents, summary.withdrawals = _consents(session, datamap, keyring, rng, now)
        summary.breach = _breach(session, datamap, now, officer)
        past.settle(session, at=now)
        session.commit()
    if sweep is not None:
        for months_ago in (9, 6, 3):
            sweep((now - timedelta(days=30 * months_ago)).date())
            summary.sweeps += 1
    return summary


def _actors(session: Session) -> tuple[str, str]:
    """The demo's privacy officer and analyst, as the audit trail names staff."""
    users = {user.role: f"staff:{user.id}" for user in all_users(session)}
    officer = users.get(Role.privacy_officer, "demo")
    return officer, users.get(Role.analyst, officer)


def _plans(rng: random.Random, now: datetime) -> list[_Plan]:
    plans: list[_Plan] = []
    fates = [f for f, n in FATES.items() for _ in range(n)]
    open_fates = [f for f, n in OPEN_FATES.items() for _ in range(n)]
    for fate in fates + open_fates:
        if fate in OPEN_FATES:
            days = {"verifying": (1, 6), "awaiting": (3, 20), "overdue": (50, 80)}[fate]
        else:
            days = (65, 395)  # answered well before today: the last step is at most 55 days on
        day = (now - timedelta(days=rng.randint(*days))).date()
        received = datetime.combine(day, time(rng.randint(7, 18), rng.randint(0, 59)), now.tzinfo)
        country, region = rng.choice(PLACES)
        kinds = CCPA_TYPES if country == "US" else GDPR_TYPES
        if fate in ("extended", "denied", "expired"):  # extendable, refusable, needing proof
            kinds = [RequestType.access, RequestType.erasure]
        plans.append(_Plan(0, received, rng.choice(kinds), country, region, fate))
    plans.sort(key=lambda p: p.received)
    return [_Plan(i, p.received, p.request_type, p.country, p.region, p.fate)
            for i, p in enumerate(plans)]  # fmt: skip


def _play(
    session: Session,
    ctx: RequestsContext,
    plan: _Plan,
    rng: random.Random,
    *,
    now: datetime,
    officer: str,
    analyst: str,
) -> RequestStatus:
    """One request's life, step by step, each step at its own time."""
    first, last = FIRST[plan.number % len(FIRST)], LAST[(plan.number * 7) % len(LAST)]
    email = f"{first.lower()}.{last.lower()}.{plan.number}@people.example".replace("é", "e")
    intake = Intake(request_type=plan.request_type.value, email=email, country=plan.country,
                    region=plan.region, name=f"{first} {last}", channel="web")  # fmt: skip
    request = submit_request(session, ctx=ctx, intake=intake, now=plan.received).request
    reference, at = request.reference, plan.received
    if plan.fate == "verifying":
        return request.status
    if plan.fate == "expired":  # the code was never entered
        later = plan.received + timedelta(days=ctx.policy.unverified_days, hours=2)
        expire_unverified_requests(session, ctx=ctx, now=later)
        return request.status
    at += timedelta(hours=rng.randint(2, 30))
    if request.status in (S.received, S.verifying):
        confirm_identity(session, ctx=ctx, reference=reference, actor=analyst,
                         how="answered the code sent by mail", now=at)  # fmt: skip
    if plan.fate in ("awaiting", "overdue") or request.status not in (S.verified, S.approved):
        return request.status
    fate = plan.fate
    if request.status is S.approved and fate == "denied":
        fate = "completed"  # approved at once (no proof needed): too late to refuse
    if fate == "cancelled":
        cancel_request(session, ctx=ctx, reference=reference, actor=officer, now=at)
        return request.status
    if fate == "denied":
        return _deny(session, ctx, reference, request.request_type, request.jurisdiction, at,
                     officer)  # fmt: skip
    if fate == "extended":
        at += timedelta(days=20)
        # GDPR Art. 12(3): two further months; 11 CCR §7021(b): 90 days from receipt at most.
        amount = 1 if plan.country == "US" else 2
        extend_request(session, ctx=ctx, reference=reference, amount=amount, actor=officer,
                       reason="Records in several systems and a backlog after a product launch",
                       now=at)  # fmt: skip
        at += timedelta(days=rng.randint(15, 30))
    else:
        at += timedelta(days=rng.randint(1, 24))
    if request.status is S.verified:
        approve_request(session, ctx=ctx, reference=reference, actor=officer, now=at)
    start_running(session, request=request, now=at + timedelta(minutes=2))
    records = rng.randint(3, 40)
    outcome = S.partially_completed if fate == "partial" else S.completed
    result: dict[str, Any] = {"records": records}
    if outcome is S.partially_completed:
        result["kept"] = rng.randint(1, 3)  # e.g. invoices under a legal obligation
    finish_request(session, ctx=ctx, request=request, outcome=outcome, result=result,
                   now=at + timedelta(minutes=rng.randint(3, 30)))  # fmt: skip
    return request.status


def _deny(
    session: Session,
    ctx: RequestsContext,
    reference: str,
    request_type: RequestType,
    jurisdiction: str | None,
    at: datetime,
    officer: str,
) -> RequestStatus:
    allowed = valid_reasons(request_type, Jurisdiction(jurisdiction) if jurisdiction else None)
    reason = next((r for r in DENIALS if r in allowed), allowed[0])
    request = deny_request(session, ctx=ctx, reference=reference, reason=reason.value,
                           actor=officer, now=at + timedelta(days=4),
                           note=DENIALS.get(reason, ""))  # fmt: skip
    return request.status


def _consents(
    session: Session, datamap: DataMap, keyring: Keyring, rng: random.Random, now: datetime
) -> tuple[int, int]:
    """Newsletter sign-ups over the year; about one in five withdrawn later."""
    given = withdrawn = 0
    for number in range(40):
        subject = f"email:subscriber.{number}@people.example"
        at = now - timedelta(days=rng.randint(20, 380), minutes=rng.randint(0, 600))
        entry = ConsentEntry(subject=subject, state=ConsentState.given, channel="web_form",
                             method="checkbox", purposes=("email_marketing",))  # fmt: skip
        record_consent(session, datamap=datamap, keyring=keyring, entry=entry,
                       actor="person", now=at)  # fmt: skip
        given += 1
        if rng.random() < 0.2:
            later = min(now - timedelta(days=1), at + timedelta(days=rng.randint(5, 120)))
            withdraw_consent(session, datamap=datamap, keyring=keyring, actor="person",
                             entry=ConsentEntry(subject=subject, state=ConsentState.withdrawn,
                                                channel="email", method="one_click_unsubscribe",
                                                purposes=("email_marketing",)), now=later)  # fmt: skip
            withdrawn += 1
    return given, withdrawn


def _breach(session: Session, datamap: DataMap, now: datetime, officer: str) -> str:
    """One breach, its whole timeline: found, assessed, notified within 72 hours, closed."""
    aware = datetime.combine((now - timedelta(days=150)).date(), time(9, 40), now.tzinfo)
    incident = open_incident(
        session, datamap=datamap, actor=officer, at=aware + timedelta(minutes=35),
        title="Payslips e-mailed to the wrong agents", became_aware_at=aware, systems=["hris"],
        nature="A payroll export sent 14 payslips to colleagues of the agents they belong to.",
        kinds=["confidentiality"],
    )  # fmt: skip
    steps = [
        (timedelta(hours=6), Changes(risk=Risk.risk, risk_reasoning="Salaries and social "
         "security numbers seen by colleagues, who were asked to delete the mails",
         consequences="Colleagues learnt each other's pay; misuse of the social security "
         "numbers is unlikely but possible"),
         "Assessed with HR and IT"),
        (timedelta(hours=30), Changes(authority_notified_at=aware + timedelta(hours=30),
         authority_reference="Notification 2026-0147",
         measures_taken="Mails recalled; recipients confirmed deletion in writing"),
         "Notified the authority within 72 hours (GDPR Art. 33(1))"),
        (timedelta(days=4), Changes(status=IncidentStatus.contained,
         measures_proposed="Payroll exports now checked by a second person"), None),
        (timedelta(days=21), Changes(status=IncidentStatus.closed), "Lessons recorded"),
    ]  # fmt: skip
    for after, changes, note in steps:
        update_incident(session, datamap=datamap, reference=incident.reference, changes=changes,
                        actor=officer, note=note, at=aware + after)  # fmt: skip
    return incident.reference


def seed_demo_store(settings: Settings, *, datamap: DataMap, now: datetime) -> HistorySummary:
    """Seed the demo's platform store (its settings), with real retention sweeps over the
    example's generated databases when `settings.datastore_dir` holds them."""
    with open_store(settings) as store:
        base_dir = settings.datastore_dir

        def sweep(as_of: date) -> None:
            assert base_dir is not None
            sweep_once(store.sessions, datamap=datamap, keyring=store.keyring, base_dir=base_dir,
                       environ=os.environ, batch_size=settings.retention_batch_size,
                       today=lambda: as_of)  # fmt: skip

        return seed_history(
            store.sessions,
            datamap=datamap,
            keyring=store.keyring,
            policy=RequestPolicy.from_settings(settings),
            now=now,
            sweep=sweep if base_dir is not None and base_dir.is_dir() else None,
        )
