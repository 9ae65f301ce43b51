"""Access (GDPR Art. 15, CCPA §1798.110) and portability (Art. 20): every record about the
person, each dataset labelled with what the map says about it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from lawful.connectors.base import Row
from lawful.datamap.models import DataMap, LegalBasis
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity
from lawful.engine.jobs import record_finished_job
from lawful.engine.labels import DatasetLabels, dataset_labels
from lawful.engine.models import JobKind
from lawful.engine.person import find_records
from lawful.engine.plan import Forward, Manual
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

# GDPR Art. 20(1)(a): portability covers processing based on consent or on a contract.
PORTABLE_BASES = frozenset({LegalBasis.consent, LegalBasis.contract})


@dataclass(frozen=True)
class DatasetAccess:
    labels: DatasetLabels
    rows: list[Row]
    restricted: list[bool]  # per row: GDPR Art. 18 restriction in place


@dataclass(frozen=True)
class AccessResult:
    job_id: str
    generated_at: datetime
    identity: Identity
    portability: bool
    datasets: list[DatasetAccess]
    forwards: tuple[Forward, ...]
    manual: tuple[Manual, ...]
    left_out: dict[str, int] = field(default_factory=dict)  # others' rows reached, not shown
    # The request's public reference, the one the person knows; unset (a run from the
    # command line), the report names the job.
    reference: str = ""

    @property
    def shown_reference(self) -> str:
        return self.reference or self.job_id

    def total(self) -> int:
        return sum(len(d.rows) for d in self.datasets)


def run_access(
    session: Session,
    *,
    datamap: DataMap,
    identity: Identity,
    datastores: Datastores,
    keyring: Keyring,
    portability: bool = False,
) -> AccessResult:
    """Collect the person's records and label them; records the run as a job (no commit).

    With `portability`, only the fields the person provided, from datasets used under consent
    or contract, are kept (GDPR Art. 20(1)).
    """
    with datastores.reading():
        collected = find_records(
            session, datamap=datamap, identity=identity, datastores=datastores, keyring=keyring
        )
    found: list[DatasetAccess] = []
    for step in collected.plan.steps:
        records = collected.of(step.dataset)
        labels: DatasetLabels | None = dataset_labels(datamap, step.dataset)
        if portability and labels is not None:
            labels = _portable(labels)
        if labels is None:
            continue
        rows = [{name: r.row.get(name) for name in labels.fields} for r in records]
        found.append(DatasetAccess(labels, rows, [r.restricted for r in records]))
    job = record_finished_job(
        session,
        kind=JobKind.portability if portability else JobKind.access,
        identity=identity,
        keyring=keyring,
        datamap=datamap,
        summary={
            "found": {d.labels.dataset: len(d.rows) for d in found},
            **({"left_out": dict(collected.others)} if collected.others else {}),
        },
    )
    plan = collected.plan
    return AccessResult(
        job.id,
        utcnow(),
        identity,
        portability,
        found,
        plan.forwards,
        plan.manual,
        dict(collected.others),
    )


def _portable(labels: DatasetLabels) -> DatasetLabels | None:
    """Only fields the person provided, only where the basis is consent or contract."""
    if not any(p.basis in PORTABLE_BASES for p in labels.purposes):
        return None
    fields = {
        n: f
        for n, f in labels.fields.items()
        if f.provided_by_subject and not f.about_others and not f.structural
    }
    if not fields:
        return None
    return replace(labels, fields=fields)
