"""Rectification (GDPR Art. 16, CCPA §1798.106): set corrected values on the person's records.

A correction names a field (`customers.email=…`) or a data category (`contact.email=…`, every
field of that category). Values are checked per category before anything is touched; shared
and restricted records are left as they are and reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import Row, key_value
from lawful.datamap.models import DataMap
from lawful.engine import repository
from lawful.engine.apply import rehearse_changes
from lawful.engine.binding import read_rows, resume_or_replan
from lawful.engine.collect import Collected
from lawful.engine.datastores import Datastores
from lawful.engine.erasure import Kept
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.identity import Identity, normalise_email
from lawful.engine.jobs import (
    DEFAULT_BATCH,
    Change,
    JobReport,
    Planned,
    Progress,
    create_or_resume,
    seal_identity,
)
from lawful.engine.keys import key_row
from lawful.engine.models import JobKind
from lawful.engine.person import find_records
from lawful.engine.phone import PhoneNumberError, to_e164
from lawful.engine.plan import change_order
from lawful.engine.sharing import shared_keys
from lawful.store.crypto import Keyring

_MAX_TEXT = 1000
_DATE_CATEGORIES = ("demographic.birth_date",)


@dataclass(frozen=True)
class Correction:
    dataset: str
    field: str
    value: Any


def parse_corrections(pairs: Iterable[str], *, datamap: DataMap) -> list[Correction]:
    """`["customers.email=Ann@New.org", "contact.phone=+33…"]` → checked corrections.

    Raises EngineError listing every unknown target and invalid value."""
    found: list[Correction] = []
    problems: list[EngineProblem] = []
    for pair in pairs:
        target, sep, raw = pair.partition("=")
        targets = _targets(datamap, target.strip()) if sep else []
        if not targets:
            problems.append(
                EngineProblem(
                    f"{pair!r} names no field or category of the data map",
                    "write DATASET.FIELD=VALUE or CATEGORY=VALUE",
                )
            )
        for dataset, field in targets:
            category = datamap.datasets[dataset].fields[field].category
            try:
                value = checked_value(category, raw, country=datamap.organization.address.country)
            except ValueError as error:
                problems.append(EngineProblem(str(error), "correct the value", dataset=dataset))
                break
            found.append(Correction(dataset, field, value))
    if problems:
        raise EngineError(problems)
    return found


def _targets(datamap: DataMap, target: str) -> list[tuple[str, str]]:
    dataset, _, field = target.partition(".")
    if dataset in datamap.datasets and field in datamap.datasets[dataset].fields:
        return [(dataset, field)]
    return [
        (did, name)
        for did, ds in datamap.datasets.items()
        for name, f in ds.fields.items()
        # Not keys or references, and never a field about someone else (a gift's recipient).
        if f.category == target
        and name not in ds.key_fields()
        and f.references is None
        and not f.about_others
    ]


def checked_value(category: str, raw: str, *, country: str | None = None) -> Any:
    """The corrected value in the form stores hold it; ValueError when it cannot be right."""
    text = raw.strip()
    if category.startswith("contact.email"):
        return normalise_email(text)
    if category.startswith(("contact.phone", "identifier.caller_id")):
        try:
            return to_e164(text, default_country=country)
        except PhoneNumberError as error:
            raise ValueError(str(error)) from None
    if category.startswith(_DATE_CATEGORIES):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r} is not a date (write YYYY-MM-DD)") from None
    if not text or len(text) > _MAX_TEXT or not text.isprintable():
        raise ValueError(f"a {category} value must be 1 to {_MAX_TEXT} printable characters")
    return text


def plan_rectification(
    *, datamap: DataMap, collected: Collected, datastores: Datastores, corrections: list[Correction]
) -> tuple[list[Change], list[Kept]]:
    """The updates that set the corrections on the person's own (unshared, unrestricted) rows."""
    changes: list[Change] = []
    kept: list[Kept] = []
    for did in change_order(datamap=datamap, plan=collected.plan):
        wanted = {c.field: c.value for c in corrections if c.dataset == did}
        records = collected.of(did)
        if not wanted or not records:
            continue
        shared = shared_keys(
            datamap=datamap, collected=collected, datastores=datastores, dataset=did
        )
        blocked = [r for r in records if r.restricted or r.key in shared]
        kept += (
            [
                Kept(
                    did,
                    len(blocked),
                    "restricted_or_shared",
                    "restricted (GDPR Art. 18) or shared with other people: not changed",
                )
            ]
            if blocked
            else []
        )
        dataset = datamap.datasets[did]
        rows: list[Row] = []
        for record in records:
            if record in blocked:
                continue
            new = {f: v for f, v in wanted.items() if str(record.row.get(f)) != str(v)}
            if new:
                rows.append({**key_row(record.key, dataset.key_fields()), **new})
        if rows:
            changes.append(
                Change(
                    did,
                    dataset.system,
                    dataset.table or did,
                    dataset.key_fields(),
                    "update",
                    tuple(rows),
                )
            )
    return changes, kept


def run_rectification(
    sessions: sessionmaker[Session],
    *,
    datamap: DataMap,
    identity: Identity,
    corrections: list[Correction],
    datastores: Datastores,
    keyring: Keyring,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    request_ref: str | None = None,
) -> JobReport:
    """Correct the person's records as a durable job (resumed when one is unfinished and
    its map and datastores are unchanged, `lawful.engine.binding`)."""
    digest = keyring.index(json.dumps([asdict(c) for c in corrections], sort_keys=True))
    with sessions() as session:
        _, index = seal_identity(keyring, identity)
        job = repository.unfinished_job(session, kind=JobKind.rectify, identity_index=index)
        if job is not None:
            job = resume_or_replan(
                session, job=job, datamap=datamap, datastores=datastores, keyring=keyring
            )
        if job is not None and (job.result or {}).get("summary", {}).get("corrections") != digest:
            raise EngineError(
                [
                    EngineProblem(
                        f"an unfinished rectification (job {job.id}) exists for this person with other values",
                        "run it again with the same corrections to finish it first",
                    )
                ]
            )

        def plan() -> Planned:
            changes, kept = preview_rectification(
                session,
                datamap=datamap,
                identity=identity,
                corrections=corrections,
                datastores=datastores,
                keyring=keyring,
            )
            summary = {
                "corrections": digest,
                "kept": [k.as_json() for k in kept],
                "planned": {c.dataset: {"action": c.action, "rows": len(c.rows)} for c in changes},
            }
            wanted = {c.dataset: [key_value(r, c.key) for r in c.rows] for c in changes}
            return Planned(changes, summary, read_rows(datastores, datamap=datamap, wanted=wanted))

        return create_or_resume(
            session,
            job=job,
            plan=plan,
            kind=JobKind.rectify,
            identity=identity,
            keyring=keyring,
            datamap=datamap,
            datastores=datastores,
            batch_size=batch_size,
            request_ref=request_ref,
            progress=progress,
        )


def preview_rectification(
    session: Session,
    *,
    datamap: DataMap,
    identity: Identity,
    corrections: list[Correction],
    datastores: Datastores,
    keyring: Keyring,
    rehearse: bool = False,
) -> tuple[list[Change], list[Kept]]:
    """What a rectification would change (`--dry-run`, and the plan a job records). Reads
    in one read transaction per system; records no job. With `rehearse` (a dry run), the
    updates are sent inside transactions that are rolled back (see `lawful.engine.apply`)."""
    with datastores.reading():
        collected = find_records(
            session, datamap=datamap, identity=identity, datastores=datastores, keyring=keyring
        )
        changes, kept = plan_rectification(
            datamap=datamap, collected=collected, datastores=datastores, corrections=corrections
        )
    if rehearse:
        rehearse_changes(datastores=datastores, changes=changes)
    return changes, kept
