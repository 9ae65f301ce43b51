"""A job is bound to what it planned: the map, the datastores, and the person's rows.

A job records the fingerprint of the map it was planned with, the identity of every
datastore it changes (backend, server, database, schema — never a user, password or URL),
and, per planned row, a keyed digest of the values that tied the row to the person (its
identity and reference columns). On resume:

- a datastore that now points elsewhere, where the job already changed rows, is refused
  with what changed and what to do; when nothing was changed there, the job is re-planned;
- a changed map means the job is re-planned from scratch (a job failed by a map mistake is
  planned again once the map is fixed);
- each row is re-matched before it is changed: a row whose key no longer holds the values
  whose digest was recorded is skipped and reported, never changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from lawful.connectors.base import (
    ConnectionSpec,
    Connector,
    ConnectorError,
    Row,
    batched,
    key_value,
)
from lawful.datamap.models import DataMap, Dataset
from lawful.engine.collect import Collected
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.keys import fetch_by_key
from lawful.engine.models import Job, JobStatus, StepStatus
from lawful.engine.values import plain
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

PAYLOAD = "job_step.payload"
_FINGERPRINTS: dict[int, tuple[DataMap, str]] = {}
# What decides which rows a job finds and how it changes them; names, descriptions and
# notices do not (nor YAML comments or layout, which never reach the model).
_MAP_PARTS = {"systems", "datasets", "retention", "clients"}
_NOT_RELEVANT = {"description", "name", "owner", "location", "vendor", "source"}

Identities = dict[str, dict[str, str]]
"""System id → its datastore identity (`datastore_identity`)."""


def map_fingerprint(datamap: DataMap) -> str:
    """SHA-256 over the map's systems, datasets (keys, identities, references, strategies),
    retention rules and clients, in a canonical form (computed once per loaded map)."""
    known = _FINGERPRINTS.get(id(datamap))
    if known is None or known[0] is not datamap:
        content = _relevant(datamap.model_dump(mode="json", include=_MAP_PARTS))
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        known = (datamap, hashlib.sha256(text.encode()).hexdigest())
        _FINGERPRINTS.clear()  # one map at a time in practice; never grows
        _FINGERPRINTS[id(datamap)] = known
    return known[1]


def _relevant(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _relevant(v) for k, v in value.items() if k not in _NOT_RELEVANT}
    if isinstance(value, list):
        return [_relevant(v) for v in value]
    return value


def datastore_identity(connector: Connector) -> dict[str, str]:
    """Which store a connector reaches: backend, host, port, database and schema from its
    URL (parsed with SQLAlchemy's `make_url`), or the resolved file path. Never the user,
    password or the URL itself."""
    spec = getattr(connector, "spec", None)
    if not isinstance(spec, ConnectionSpec):
        return {"backend": type(connector).__name__}
    if spec.url:
        try:
            url = make_url(spec.url)
        except sa_exc.ArgumentError:
            return {"backend": spec.type, "url": "unreadable"}
        found = {
            "backend": url.get_backend_name(),
            "host": url.host or "",
            "port": str(url.port or ""),
            "database": url.database or "",
            "schema": str(spec.options.get("schema", "")),
        }
        if found["backend"] == "sqlite" and found["database"]:
            found["database"] = str(Path(found["database"]).resolve())
        return found
    path = str(spec.path.resolve()) if spec.path is not None else ""
    return {"backend": spec.type, "path": path}


def describe_datastore(identity: Mapping[str, str]) -> str:
    """A datastore identity in words, for messages (no secret is in it)."""
    if "path" in identity:
        return f"{identity.get('backend')} at {identity['path']}"
    place = identity.get("host") or "local"
    port = f":{identity['port']}" if identity.get("port") else ""
    schema = f", schema `{identity['schema']}`" if identity.get("schema") else ""
    return (
        f"{identity.get('backend')} database `{identity.get('database')}` on {place}{port}{schema}"
    )


def new_binding(datastores: Datastores, systems: Iterable[str]) -> dict[str, Any]:
    """What a new job is bound to: each datastore it changes, and a salt for row digests."""
    identities = {s: datastore_identity(datastores.get(s)) for s in dict.fromkeys(systems)}
    return {"datastores": identities, "salt": secrets.token_hex(16)}


# --- rows ------------------------------------------------------------------------------------


def match_columns(dataset: Dataset) -> list[str]:
    """The columns that tie a row to a person: its identity and reference columns; when it
    has neither (a row found by its key alone), every declared column."""
    key = dataset.key_fields()
    identities = [c for fields in dataset.identity_fields().values() for c in fields]
    tied = [*identities, *(n for n, f in dataset.fields.items() if f.references)]
    found = list(dict.fromkeys(c for c in tied if c not in key))
    return found or [n for n in dataset.fields if n not in key]


def row_digest(salt: str, columns: Sequence[str], row: Row) -> str:
    """HMAC-SHA-256 under the job's salt of the row's values in `columns` (plain text form,
    so a value read back by another driver gives the same digest)."""
    values = [None if row.get(c) is None else str(plain(row.get(c))) for c in columns]
    text = json.dumps(values, separators=(",", ":"))
    return hmac.new(bytes.fromhex(salt), text.encode(), hashlib.sha256).hexdigest()


def rows_of(collected: Collected) -> dict[str, dict[Any, Row]]:
    """Dataset → key → the row as found (what a job's row digests are computed from)."""
    return {
        did: {k: r.row for k, r in records.items()} for did, records in collected.records.items()
    }


def read_rows(
    datastores: Datastores, *, datamap: DataMap, wanted: Mapping[str, Sequence[Any]]
) -> dict[str, dict[Any, Row]]:
    """Dataset → key → its match columns, read from the store (for plans that keep no rows)."""
    return {
        did: _read_keys(datastores, datamap.datasets[did], did, keys)
        for did, keys in wanted.items()
    }


def _read_keys(
    datastores: Datastores, dataset: Dataset, did: str, keys: Sequence[Any]
) -> dict[Any, Row]:
    key, table = dataset.key_fields(), dataset.table or did
    wanted = [*key, *match_columns(dataset)]

    def fetcher(chunk: Sequence[Any]) -> Callable[[Connector], list[Row]]:
        return lambda connector: fetch_by_key(
            connector, table, columns=key, values=list(chunk), wanted=wanted
        )

    found: dict[Any, Row] = {}
    for chunk in batched(list(keys), 500):
        rows = datastores.read(dataset.system, fetcher(chunk))
        found.update({key_value(r, key): r for r in rows})
    return found


# --- resume ----------------------------------------------------------------------------------


def resume_or_replan(
    session: Session,
    *,
    job: Job,
    datamap: DataMap,
    datastores: Datastores,
    keyring: Keyring,
    replan_on_map_change: bool = True,
) -> Job | None:
    """The unfinished job to resume, or None when it must be planned again (it is marked
    superseded, in a commit of its own). Raises EngineError, leaving the job as it is, when a
    datastore it already changed now points at another store.

    `replan_on_map_change=False` (retention sweeps, whose marks bind them to their plan):
    a changed map alone does not re-plan."""
    moved = _moved_datastores(job, datastores)
    reasons = [
        f"system `{s}` now points at {describe_datastore(now)}" for s, (_, now) in moved.items()
    ]
    touched = _touched_systems(job, keyring) & set(moved)
    if touched:
        problems = [_refusal(job, system, *moved[system]) for system in sorted(touched)]
        job.result = {**(job.result or {}), "blocked": [p.message for p in problems]}
        session.commit()
        raise EngineError(problems)
    if replan_on_map_change and job.map_digest != map_fingerprint(datamap):
        reasons.append("the data map changed since it was planned")
    if not reasons:
        return job
    job.status, job.finished_at = JobStatus.superseded, utcnow()
    job.result = {**(job.result or {}), "superseded": reasons}
    session.commit()
    return None


def _moved_datastores(
    job: Job, datastores: Datastores
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    planned: Identities = (job.binding or {}).get("datastores", {})
    moved = {}
    for system, was in planned.items():
        try:
            now = datastore_identity(datastores.get(system))
        except ConnectorError as error:
            raise EngineError(
                [
                    EngineProblem(
                        f"job {job.id} cannot be checked against its datastore: {error.args[0]}",
                        "check the system's connection and run the same command again; "
                        "nothing was changed",
                        system=system,
                    )
                ]
            ) from error
        if now != was:
            moved[system] = (was, now)
    return moved


def _touched_systems(job: Job, keyring: Keyring) -> set[str]:
    """Systems where the job may have changed rows: a step done, or one pending in a job that
    stopped without closing (a crash may have come after its commit). A failed step's
    transaction was rolled back."""
    crashed = job.status is JobStatus.running
    touched: set[str] = set()
    for step in job.steps:
        if (
            step.status is StepStatus.done
            or step.rows_changed
            or (crashed and step.status is StepStatus.pending)
        ):
            payload = keyring.decrypt_json(step.payload_sealed or b"", context=PAYLOAD)
            touched.add(str(payload["system"]))
    return touched


def _refusal(
    job: Job, system: str, was: Mapping[str, str], now: Mapping[str, str]
) -> EngineProblem:
    return EngineProblem(
        f"job {job.id} already changed rows in {describe_datastore(was)}, but the system now "
        f"points at {describe_datastore(now)}; resuming there could change someone else's rows",
        f"point the system's connection back at {describe_datastore(was)} to finish the job, "
        f"or cancel it (`lawful dsr cancel {job.id}`) and run the request again",
        system=system,
    )
