"""Erasure (GDPR Art. 17, CCPA §1798.105): mask or delete every record about the person.

Planned in full before anything changes: per field strategy or row deletion per dataset,
children before parents; records a legal obligation still requires are kept and the result
says until when and why (Art. 17(3)(b)); restricted records are only stored (Art. 18(2));
rows shared with other people are left alone; datasets held for a client are never touched
and listed to forward. A keyed hash of each identity value joins the suppression list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import Row
from lawful.datamap.models import DataMap, Dataset
from lawful.engine import repository
from lawful.engine.apply import rehearse_changes
from lawful.engine.binding import resume_or_replan, rows_of
from lawful.engine.collect import Collected, Record
from lawful.engine.datastores import Datastores
from lawful.engine.holds import Hold, HoldsReader, LegalHolds, holds_on, legal_obligation_rules
from lawful.engine.identity import Identity
from lawful.engine.jobs import (
    DEFAULT_BATCH,
    Change,
    Finisher,
    JobReport,
    Planned,
    Progress,
    create_or_resume,
    open_identity,
    seal_identity,
)
from lawful.engine.keys import key_row
from lawful.engine.models import Job, JobKind
from lawful.engine.person import find_records
from lawful.engine.plan import Plan, change_order
from lawful.engine.redaction import OwnIdentifiers, own_identifiers
from lawful.engine.sharing import shared_keys
from lawful.engine.strategies import erased_value, field_strategy
from lawful.store.crypto import Keyring


@dataclass(frozen=True)
class Kept:
    """Records (or fields of them) erasure left in place, and why."""

    dataset: str
    records: int
    reason: str  # legal_hold, legal_obligation, restricted, shared
    why: str
    until: str | None = None  # ISO date; the latest end among the records
    fields: tuple[str, ...] = ()  # empty: the whole record

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "fields": list(self.fields)}


@dataclass(frozen=True)
class ErasurePlan:
    plan: Plan
    changes: list[Change]
    kept: list[Kept]
    found: dict[str, int]
    collected: Collected | None = None  # the rows as found: what a job binds each row to
    left_out: dict[str, int] = field(default_factory=dict)  # rows others own, never touched
    rehearsed: list[str] = field(default_factory=list)  # systems a dry run really tried

    def summary(self) -> dict[str, Any]:
        """What the result says, without any personal data."""
        return {
            "found": self.found,
            "rehearsed": list(self.rehearsed),
            "planned": {c.dataset: {"action": c.action, "rows": len(c.rows)} for c in self.changes},
            "kept": [k.as_json() for k in self.kept],
            "left_out": left_out_entries(self.left_out),
            "forward": [asdict(f) for f in self.plan.forwards],
            "manual": [asdict(m) for m in self.plan.manual],
        }


_RESTRICTED = "restricted (GDPR Art. 18): only stored until the restriction is lifted"


def plan_erasure(
    *,
    datamap: DataMap,
    collected: Collected,
    datastores: Datastores,
    keyring: Keyring,
    today: date,
    legal_holds: LegalHolds | None = None,
) -> ErasurePlan:
    """Every change erasure will make, and everything it keeps. Reads only."""
    changes: list[Change] = []
    kept: list[Kept] = []
    own = _own_identifiers(datamap, collected)
    for did in change_order(datamap=datamap, plan=collected.plan):
        records = collected.of(did)
        held = (legal_holds or LegalHolds()).records.get(did, {})
        if held:
            kept += _kept_by_legal_holds(did, held)
            records = [r for r in records if r.key not in held]
        if not records:
            continue
        shared = shared_keys(
            datamap=datamap, collected=collected, datastores=datastores, dataset=did
        )
        dataset_changes, dataset_kept = _dataset_erasure(
            datamap, did, records, shared=shared, keyring=keyring, today=today, own=own
        )
        kept += dataset_kept
        changes += dataset_changes
    found = {did: len(collected.of(did)) for did in collected.plan.datasets()}
    return ErasurePlan(
        collected.plan, changes, kept, found, collected, left_out=dict(collected.others)
    )


OTHERS = (
    "reached through the person's rows, but its owning link names someone else: "
    "another person's row, never disclosed nor changed"
)


def left_out_entries(left_out: dict[str, int]) -> list[dict[str, Any]]:
    """Rows others own, per dataset, for results and packages (counts only)."""
    return [{"dataset": d, "records": n, "why": OTHERS} for d, n in left_out.items() if n]


def _kept_by_legal_holds(did: str, held: dict[Any, str]) -> list[Kept]:
    by_why: dict[str, int] = {}
    for why in held.values():
        by_why[why] = by_why.get(why, 0) + 1
    return [Kept(did, count, "legal_hold", why) for why, count in by_why.items()]


def _dataset_erasure(
    datamap: DataMap,
    did: str,
    records: list[Record],
    *,
    shared: dict[Any, str],
    keyring: Keyring,
    today: date,
    own: OwnIdentifiers,
) -> tuple[list[Change], list[Kept]]:
    dataset = datamap.datasets[did]
    rules = legal_obligation_rules(datamap, did)
    restricted = [r for r in records if r.restricted]
    sharing = Counter(shared[r.key] for r in records if not r.restricted and r.key in shared)
    kept = [Kept(did, len(restricted), "restricted", _RESTRICTED)] if restricted else []
    kept += [Kept(did, count, "shared", f"{why}: left as it is") for why, count in sharing.items()]
    updates: list[Row] = []
    deletes: list[Row] = []
    held: dict[tuple[str, frozenset[str] | None], list[Hold]] = {}
    for record in records:
        if record.restricted or record.key in shared:
            continue
        holds = holds_on(rules=rules, dataset=dataset, row=record.row, today=today)
        for hold in holds:
            held.setdefault((hold.rule, hold.fields), []).append(hold)
        key = key_row(record.key, dataset.key_fields())
        if dataset.erase == "delete" and not holds:
            deletes.append(key)
        elif row := _masked_row(dataset, record, holds, keyring=keyring, own=own):
            updates.append({**key, **row})
    kept += [_kept(did, group) for group in held.values()]
    return _changes(did, dataset, updates, deletes), kept


def _masked_row(
    dataset: Dataset, record: Record, holds: list[Hold], *, keyring: Keyring, own: OwnIdentifiers
) -> Row:
    """The new values of the fields that change (empty when nothing does)."""
    if any(h.fields is None for h in holds):
        return {}  # the whole record is still required by law
    keep = {name for h in holds for name in (h.fields or ())}
    changed: Row = {}
    for name, declared in dataset.fields.items():
        if name in dataset.key_fields() or name in keep:
            continue
        spec = field_strategy(declared, structural=declared.references is not None)
        old = record.row.get(name)
        new = erased_value(spec, old, category=declared.category, keyring=keyring, own=own)
        if new != old:
            changed[name] = new
    return changed


def _own_identifiers(datamap: DataMap, collected: Collected) -> OwnIdentifiers:
    """What `redact` removes: the identity asked for, and the names, emails and phones of the
    person's own rows (fields about other people excluded)."""
    values = [
        (field.category, record.row.get(name))
        for did in collected.plan.datasets()
        for record in collected.of(did)
        for name, field in datamap.datasets[did].fields.items()
        if not field.about_others
    ]
    return own_identifiers(datamap=datamap, identity=collected.plan.identity, values=values)


def _changes(did: str, dataset: Dataset, updates: list[Row], deletes: list[Row]) -> list[Change]:
    """Masks, then deletions (a deleting dataset masks the records a hold keeps in part)."""
    table, key = dataset.table or did, dataset.key_fields()
    found = [
        Change(did, dataset.system, table, key, "update", tuple(updates)) if updates else None,
        Change(did, dataset.system, table, key, "delete", tuple(deletes)) if deletes else None,
    ]
    return [c for c in found if c is not None]


def _kept(did: str, holds: list[Hold]) -> Kept:
    ends = [h.until for h in holds]
    until = None if None in ends else max(e for e in ends if e is not None).isoformat()
    first = holds[0]
    return Kept(
        did, len(holds), "legal_obligation", first.why, until, tuple(sorted(first.fields or ()))
    )


def run_erasure(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    identity: Identity,
    datastores: Datastores,
    keyring: Keyring,
    today: date,
    holds: HoldsReader,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    request_ref: str | None = None,
) -> JobReport:
    """Erase the person everywhere the map reaches, as a durable job: an unfinished erasure
    for the same person is resumed, never planned again — unless its map or datastores
    changed (`lawful.engine.binding`). `holds`: the legal holds' reader (Art. 17(3)(e)),
    `lawful.retention.holds.legal_holds_on`. The runner owns the commits."""
    with sessions() as session:
        _, index = seal_identity(keyring, identity)
        job = repository.unfinished_job(session, kind=JobKind.erase, identity_index=index)
        if job is not None:
            job = resume_or_replan(
                session, job=job, datamap=datamap, datastores=datastores, keyring=keyring
            )

        def plan() -> Planned:
            erasure = preview_erasure(
                session,
                datamap=datamap,
                identity=identity,
                datastores=datastores,
                keyring=keyring,
                today=today,
                holds=holds,
            )
            found = rows_of(erasure.collected) if erasure.collected else None
            return Planned(erasure.changes, erasure.summary(), found)

        return create_or_resume(
            session,
            job=job,
            plan=plan,
            kind=JobKind.erase,
            identity=identity,
            keyring=keyring,
            datamap=datamap,
            datastores=datastores,
            batch_size=batch_size,
            request_ref=request_ref,
            progress=progress,
            finish=_suppress(keyring),
        )


def _suppress(keyring: Keyring) -> Finisher:
    def finish(session: Session, job: Job) -> None:
        identity = open_identity(keyring, job)
        repository.add_suppressions(session, entries=suppression_entries(keyring, identity.values))

    return finish


def suppression_entries(
    keyring: Keyring, values: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Keyed hashes of normalised identity values, so marketing can check before re-adding."""
    return [(kind, keyring.suppression_hash(f"{kind}:{value}")) for kind, value in values]


def is_suppressed(session: Session, *, keyring: Keyring, identity: Identity) -> bool:
    """Whether any of the identity's values is on the suppression list."""
    return any(
        repository.is_suppressed(session, identity_type=kind, identity_hash=digest)
        for kind, digest in suppression_entries(keyring, identity.values)
    )


def preview_erasure(
    session: Session,
    *,
    datamap: DataMap,
    identity: Identity,
    datastores: Datastores,
    keyring: Keyring,
    today: date,
    holds: HoldsReader,
    rehearse: bool = False,
) -> ErasurePlan:
    """What an erasure would change and keep (`--dry-run`, and the plan a job records).
    Reads in one read transaction per system; records no job. With `rehearse` (a dry run),
    the changes are then sent inside transactions that are rolled back, so a failure the
    real run would meet raises EngineError now (see `lawful.engine.apply`)."""
    with datastores.reading():
        collected = find_records(
            session, datamap=datamap, identity=identity, datastores=datastores, keyring=keyring
        )
        erasure = plan_erasure(
            datamap=datamap,
            collected=collected,
            datastores=datastores,
            keyring=keyring,
            today=today,
            legal_holds=holds(session, keyring=keyring, identity=identity, collected=collected),
        )
    if rehearse:  # outside `reading()`: a rehearsal needs its own, rolled-back, transaction
        erasure.rehearsed.extend(rehearse_changes(datastores=datastores, changes=erasure.changes))
    return erasure
