"""The one place the workflow touches the engine (`lawful.engine`): it runs an approved
request's type over the datastores and returns an outcome without personal data.

Access and portability build the package (sealed by `delivery`); erasure, rectification and
restriction run as the engine's durable, resumable jobs; objection to direct marketing,
consent withdrawal and opt-out of sale/sharing go to the consent ledger and the suppression
list. Types the engine cannot carry out alone (objection to one purpose, limiting sensitive
data, post-mortem directions, complaints) return None: staff handle them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lawful.consent.models import ConsentState
from lawful.consent.policy import policy_for
from lawful.consent.service import (
    ConsentEntry,
    object_to_marketing,
    suppression_entries,
    withdraw_consent,
)
from lawful.consent.subjects import Subject
from lawful.datamap.models import DataMap
from lawful.engine.access import AccessResult, run_access
from lawful.engine.datastores import ConnectorFactory, DatastorePool, Datastores
from lawful.engine.erasure import run_erasure
from lawful.engine.holds import HoldsReader
from lawful.engine.identity import Identity
from lawful.engine.jobs import JobReport
from lawful.engine.models import JobStatus
from lawful.engine.package import ForwardMade, write_access_package
from lawful.engine.person import find_records
from lawful.engine.plan import Forward, build_plan
from lawful.engine.rectification import parse_corrections, run_rectification
from lawful.engine.repository import add_suppressions
from lawful.engine.restriction import RestrictionReason, run_restriction
from lawful.law.requests import RequestType
from lawful.requests import hooks
from lawful.requests.forwarding import ClientShare, holding_clients
from lawful.requests.identity import PersonIdentity, folded
from lawful.store.crypto import Keyring
from lawful.store.db import commit_checkpoint

T = RequestType
# Consent ledger channel (ISO/IEC TS 27560 collection method) for each intake channel.
CONSENT_CHANNELS = {
    "web": "web_form",
    "api": "api",
    "email": "email",
    "phone": "phone",
    "post": "paper",
}
STAFF_HANDLED = frozenset({T.objection, T.limit_sensitive, T.post_mortem, T.complaint})


@dataclass(frozen=True)
class EngineEnv:
    """How a job reaches the map's datastores and the platform store."""

    datamap: DataMap
    keyring: Keyring
    sessions: sessionmaker[Session]
    connectors: ConnectorFactory  # e.g. `registry_factory(datamap, base_dir=…, environ=…)`
    holds: HoldsReader  # what erasure keeps (`lawful.retention.holds.legal_holds_on`)
    kept: DatastorePool | None = None  # a worker's: connectors kept per thread between runs

    def datastores(self) -> Datastores:
        """The connectors for one run: this thread's kept ones in a worker, else fresh
        ones (a `Datastores` is not shared between threads)."""
        if self.kept is not None:
            return self.kept.for_thread()
        return Datastores(self.connectors)


@dataclass
class EngineOutcome:
    """What a run did. `done` False: some step failed; running the request again resumes."""

    done: bool
    own_records: int  # records found in the datasets we control
    result: dict[str, Any]  # counts, kept, manual: no personal data
    shares: list[ClientShare] = field(default_factory=list)
    partial: bool = False  # something was kept, left to staff, or not checked
    access: AccessResult | None = None  # access/portability: what goes in the package
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunOrder:
    """An approved request, as the engine needs it."""

    reference: str
    request_type: RequestType
    identity: Identity
    channel: str
    details: Mapping[str, object]
    today: date
    now: datetime


def run_request(env: EngineEnv, order: RunOrder) -> EngineOutcome | None:
    """Carry out the request over the datastores; None for types staff handle. Raises the
    engine's EngineError (nothing changed) when a store is unreachable or out of step."""
    kind = order.request_type
    if kind in STAFF_HANDLED:
        return None
    if kind in (T.access, T.portability):
        return _access(env, order, portability=kind is T.portability)
    if kind is T.erasure:
        return _erasure(env, order)
    if kind is T.rectification:
        return _rectification(env, order)
    if kind is T.restriction:
        return _restriction(env, order)
    return _stop_processing(env, order)


def _access(env: EngineEnv, order: RunOrder, *, portability: bool) -> EngineOutcome:
    with env.datastores() as datastores, env.sessions() as session:
        found = run_access(
            session,
            datamap=env.datamap,
            identity=order.identity,
            datastores=datastores,
            keyring=env.keyring,
            portability=portability,
        )
        shares, unchecked = _shares(env, datastores, order.identity, found.forwards)
        # The engine's record of the run (a job without steps): on disk with the request's
        # closing commit, which waits for it (a crash before it: the run is made again).
        commit_checkpoint(session)
    manual = [m.dataset for m in found.manual] + unchecked
    result = {
        "job": found.job_id,
        "records": found.total(),
        "datasets": {d.labels.dataset: len(d.rows) for d in found.datasets if d.rows},
        "manual": len(manual),
        "manual_datasets": manual,
    }
    return EngineOutcome(True, found.total(), result, shares, bool(manual), found)


def package_bytes(
    found: AccessResult, *, datamap: DataMap, forwards: Sequence[ForwardMade], reference: str
) -> bytes:
    """The package, built once the forwards are known (it names only those that happened).
    The engine writes packages to files: build it in a private temporary folder (mode 0700,
    the file 0600), read it back and remove it at once; only the sealed copy stays."""
    with tempfile.TemporaryDirectory(prefix="lawful-package-") as folder:
        path = write_access_package(
            result=replace(found, reference=reference),
            datamap=datamap,
            path=Path(folder) / "p.zip",
            forwards=forwards,
        )
        return path.read_bytes()


def _erasure(env: EngineEnv, order: RunOrder) -> EngineOutcome:
    def run(datastores: Datastores) -> JobReport:
        return run_erasure(
            env.sessions,
            datamap=env.datamap,
            identity=order.identity,
            datastores=datastores,
            keyring=env.keyring,
            today=order.today,
            holds=env.holds,
            request_ref=order.reference,
        )

    return _job(env, order, run)


def _job(env: EngineEnv, order: RunOrder, run: Callable[[Datastores], JobReport]) -> EngineOutcome:
    with env.datastores() as datastores:
        report: JobReport = run(datastores)
        forwards = build_plan(datamap=env.datamap, identity=order.identity).forwards
        shares, unchecked = _shares(env, datastores, order.identity, forwards)
    return _from_report(report, shares, unchecked)


def _from_report(
    report: JobReport, shares: list[ClientShare], unchecked: list[str]
) -> EngineOutcome:
    summary = report.summary
    found = summary.get("found", {})
    kept = summary.get("kept", [])
    manual = [m["dataset"] for m in summary.get("manual", [])] + unchecked
    failed = [d for d in report.datasets if d.status != "done"]
    result = {
        "job": report.job_id,
        "records": sum(found.values()) if isinstance(found, dict) else 0,
        "changed": sum(d.rows_changed for d in report.datasets),
        "kept": len(kept),
        "kept_records": kept,
        "manual": len(manual),
        "manual_datasets": manual,
        "failed": len(failed),
    }
    problems = [f"dataset {d.dataset}: {d.error or d.status}" for d in failed]
    done = report.status is JobStatus.done
    own = result["records"]
    return EngineOutcome(done, own, result, shares, bool(kept or manual), None, problems)


def _rectification(env: EngineEnv, order: RunOrder) -> EngineOutcome | None:
    wanted = order.details.get("corrections")
    pairs = [f"{k}={v}" for k, v in wanted.items()] if isinstance(wanted, dict) else []
    if not pairs:  # the person described the error in words: staff correct it by hand
        return None
    corrections = parse_corrections(pairs, datamap=env.datamap)
    return _job(
        env,
        order,
        lambda ds: run_rectification(
            env.sessions,
            datamap=env.datamap,
            identity=order.identity,
            corrections=corrections,
            datastores=ds,
            keyring=env.keyring,
            request_ref=order.reference,
        ),
    )


def _restriction(env: EngineEnv, order: RunOrder) -> EngineOutcome:
    reason = RestrictionReason(str(order.details.get("restriction_reason", "accuracy_contested")))
    with env.datastores() as datastores, env.sessions() as session:
        done = run_restriction(
            session,
            datamap=env.datamap,
            identity=order.identity,
            datastores=datastores,
            keyring=env.keyring,
            reason=reason,
        )
        hooks.decision_made(
            session,
            datamap=env.datamap,
            keyring=env.keyring,
            identity=order.identity,
            keys=done.keys,
            kind="restriction",
            reason=reason.value,
            lift=False,
            actor=f"request:{order.reference}",
        )
        forwards = build_plan(datamap=env.datamap, identity=order.identity).forwards
        shares, unchecked = _shares(env, datastores, order.identity, forwards)
        session.commit()
    result = {
        "job": done.job_id,
        "records": done.records,
        "changed": done.changed,
        "manual": len(unchecked),
        "manual_datasets": unchecked,
    }
    return EngineOutcome(True, done.records, result, shares, bool(unchecked))


def _stop_processing(env: EngineEnv, order: RunOrder) -> EngineOutcome:
    """Objection to direct marketing (GDPR Art. 21(3)), consent withdrawal (Art. 7(3)),
    opt-out of sale/sharing (Cal. Civ. Code §1798.120): the consent ledger records it, and
    the suppression list keeps marketing and sale from picking the person up again."""
    policy = policy_for(env.datamap)
    subjects = [
        Subject(kind, value) for kind, value in order.identity.values if kind in ("email", "phone")
    ]
    channel = CONSENT_CHANNELS.get(order.channel, "web_form")
    actor = f"request:{order.reference}"
    recorded = 0
    with env.sessions() as session:
        for subject in subjects:
            recorded += _record_choice(session, env, order, subject.key, channel, actor)
            add_suppressions(session, entries=suppression_entries(policy, env.keyring, subject))
        session.commit()
    with env.datastores() as datastores:
        forwards = build_plan(datamap=env.datamap, identity=order.identity).forwards
        shares, unchecked = _shares(env, datastores, order.identity, forwards)
    result = {
        "consent_events": recorded,
        "suppressed": len(subjects),
        "manual": len(unchecked),
        "manual_datasets": unchecked,
    }
    return EngineOutcome(True, len(subjects), result, shares, bool(unchecked))


def _record_choice(
    session: Session, env: EngineEnv, order: RunOrder, subject: str, channel: str, actor: str
) -> int:
    if order.request_type is T.objection_direct_marketing:
        events = object_to_marketing(
            session,
            datamap=env.datamap,
            keyring=env.keyring,
            subject=subject,
            channel=channel,
            actor=actor,
            now=order.now,
        )
        return len(events)
    purposes = _purposes_to_stop(env.datamap, order)
    if not purposes:
        return 0
    entry = ConsentEntry(
        subject=subject,
        state=ConsentState.withdrawn,
        channel=channel,
        method="rights_request",
        purposes=purposes,
    )
    events = withdraw_consent(
        session, datamap=env.datamap, keyring=env.keyring, entry=entry, actor=actor, now=order.now
    )
    return len(events)


def _purposes_to_stop(datamap: DataMap, order: RunOrder) -> tuple[str, ...]:
    """Opt-out: every purpose that sells or shares; withdrawal: the purpose named, or every
    purpose that rests on consent."""
    rules = policy_for(datamap).purposes.values()
    if order.request_type is T.opt_out_sale_sharing:
        return tuple(p.id for p in rules if p.sale_or_sharing)
    asked = order.details.get("purpose")
    return (str(asked),) if asked else tuple(p.id for p in rules if p.consent_based)


def _shares(
    env: EngineEnv, datastores: Datastores, identity: Identity, forwards: tuple[Forward, ...]
) -> tuple[list[ClientShare], list[str]]:
    return holding_clients(
        datamap=env.datamap, datastores=datastores, identity=identity, forwards=forwards
    )


# --- stronger verification: the person's details against the records held -------------------

_DATA_POINT_CATEGORIES = {
    "phone": ("contact.phone",),
    "name": ("name",),
    "address": ("contact.postal_address",),
}


def match_data_points(env: EngineEnv, *, person: PersonIdentity, identity: Identity) -> int:
    """How many of the person's details (phone, name, address, other identifiers) match a
    record found by their email address. Reads only; the email itself does not count."""
    by_email = Identity(tuple(pair for pair in identity.values if pair[0] == "email"))
    if not by_email.values:
        return 0
    with env.datastores() as datastores, env.sessions() as session, datastores.reading():
        collected = find_records(
            session,
            datamap=env.datamap,
            identity=by_email,
            datastores=datastores,
            keyring=env.keyring,
        )
    rows = [(did, r.row) for did in collected.records for r in collected.of(did)]
    given = {"phone": person.phone, "name": person.name, "address": person.address}
    matched = sum(
        1 for point, value in given.items() if value and _any_row(env, rows, point, value)
    )
    matched += sum(
        1 for kind, value in person.identifiers.items() if _identifier(env, rows, kind, value)
    )
    return matched


def _any_row(
    env: EngineEnv, rows: list[tuple[str, dict[str, Any]]], point: str, value: str
) -> bool:
    categories = _DATA_POINT_CATEGORIES[point]
    wanted = set(folded(value).replace(",", " ").split())
    for did, row in rows:
        fields = env.datamap.datasets[did].fields
        held = [
            str(row[n])
            for n, f in fields.items()
            if f.category.startswith(categories) and row.get(n)
        ]
        if not held:
            continue
        if point == "phone" and value in held:
            return True
        tokens = set(folded(" ".join(held)).replace(",", " ").split())
        if point != "phone" and wanted and wanted <= tokens:
            return True
    return False


def _identifier(
    env: EngineEnv, rows: list[tuple[str, dict[str, Any]]], kind: str, value: str
) -> bool:
    for did, row in rows:
        columns = env.datamap.datasets[did].identity_fields().get(kind, ())
        if any(str(row.get(column, "")).strip() == value for column in columns):
            return True
    return False
