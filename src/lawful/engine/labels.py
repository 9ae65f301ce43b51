"""What the map says about each dataset, as an access report states it (GDPR Art. 15(1)–(2)):
purposes and legal bases, categories, recipients, retention, source, automated decisions,
transfer safeguards. Derived with `lawful.datamap.facts`, so it matches the notice and RoPA."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from lawful.datamap import facts
from lawful.datamap.models import DataMap, Dataset, LegalBasis


@dataclass(frozen=True)
class FieldLabel:
    name: str
    category: str
    category_name: str
    about_others: bool
    provided_by_subject: bool
    structural: bool  # the primary key or a reference: internal, never "provided" by anyone


@dataclass(frozen=True)
class PurposeLabel:
    id: str
    name: str
    legal_basis: str
    basis: LegalBasis | None
    legitimate_interest: str | None
    automated_decisions: str | None


@dataclass(frozen=True)
class RecipientLabel:
    name: str
    role: str
    country: str


@dataclass(frozen=True)
class DatasetLabels:
    dataset: str
    name: str
    system: str
    location: str
    purposes: tuple[PurposeLabel, ...]
    recipients: tuple[RecipientLabel, ...]
    retention: tuple[str, ...]
    source: str
    transfers: tuple[str, ...]
    fields: dict[str, FieldLabel]

    def categories(self) -> list[str]:
        return facts.unique(f.category_name for f in self.fields.values())


_KEPT: dict[int, tuple[weakref.ref[DataMap], dict[str, DatasetLabels]]] = {}


def dataset_labels(datamap: DataMap, dataset_id: str) -> DatasetLabels:
    """The dataset's labels, derived once per map (a map is never changed in place; a worker
    keeps its map, and every access states the same labels for the same dataset)."""
    labels = _kept_for(datamap)
    if dataset_id not in labels:
        labels[dataset_id] = _labels(datamap, dataset_id)
    return labels[dataset_id]


def _kept_for(datamap: DataMap) -> dict[str, DatasetLabels]:
    key = id(datamap)
    kept = _KEPT.get(key)
    if kept is None or kept[0]() is not datamap:  # an id is reused only once its map is gone
        kept = (weakref.ref(datamap, lambda _: _KEPT.pop(key, None)), {})
        _KEPT[key] = kept
    return kept[1]


def _labels(datamap: DataMap, dataset_id: str) -> DatasetLabels:
    dataset = datamap.datasets[dataset_id]
    system = datamap.systems.get(dataset.system)
    recipient_ids = _recipients(datamap, dataset)
    return DatasetLabels(
        dataset=dataset_id,
        name=dataset.description or facts.words(dataset_id).capitalize(),
        system=system.name if system else dataset.system,
        location=system.location if system else "",
        purposes=tuple(_purpose(datamap, pid) for pid in dataset.purposes),
        recipients=tuple(_recipient(datamap, rid) for rid in recipient_ids),
        retention=tuple(
            facts.retention_limit(datamap, rule)
            for rule in datamap.retention.values()
            if rule.applies_to.covers(dataset_id, dataset)
        ),
        source=_source(datamap, dataset),
        transfers=tuple(
            str(t)
            for t in facts.transfers_for(datamap, recipients=recipient_ids, datasets=[dataset])
        ),
        fields={
            name: FieldLabel(
                name=name,
                category=field.category,
                category_name=facts.category_label(datamap, field.category),
                about_others=field.about_others,
                provided_by_subject=field.provided_by_subject,
                structural=name in dataset.key_fields() or field.references is not None,
            )
            for name, field in dataset.fields.items()
        },
    )


def _recipients(datamap: DataMap, dataset: Dataset) -> list[str]:
    by_purpose = [
        rid
        for pid in dataset.purposes
        if pid in datamap.purposes
        for rid in facts.purpose_recipients(datamap, pid)
    ]
    system = datamap.systems.get(dataset.system)
    host = [system.vendor] if system and system.vendor in datamap.recipients else []
    return facts.unique([*by_purpose, *(h for h in host if h)])


def _purpose(datamap: DataMap, purpose_id: str) -> PurposeLabel:
    purpose = datamap.purposes.get(purpose_id)
    basis = purpose.legal_basis if purpose else None
    return PurposeLabel(
        id=purpose_id,
        name=facts.purpose_name(datamap, purpose_id),
        legal_basis=facts.legal_basis_name(basis),
        basis=basis,
        legitimate_interest=purpose.legitimate_interest if purpose else None,
        automated_decisions=purpose.automated_decisions if purpose else None,
    )


def _recipient(datamap: DataMap, recipient_id: str) -> RecipientLabel:
    recipient = datamap.recipients[recipient_id]
    return RecipientLabel(recipient.name, facts.role_name(recipient.role), recipient.country)


def _source(datamap: DataMap, dataset: Dataset) -> str:
    """Art. 15(1)(g): where data not collected from the person came from."""
    if dataset.source:
        return dataset.source
    subject = datamap.subjects.get(dataset.subject)
    if subject and subject.sources:
        return facts.join_words(list(subject.sources))
    return "Collected from you"
