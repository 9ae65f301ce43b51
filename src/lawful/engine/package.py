"""The access package (GDPR Art. 15(3)): a ZIP with `data.json` (machine-readable), one CSV
per dataset, and `report.html` answering Art. 15(1)(a)–(h) and 15(2). The portability package
(Art. 20) holds the JSON and CSVs only. Fields about other people are redacted, and so are
other people's names, emails and phones found in the person's free text (Art. 15(4))."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from lawful.datamap import facts
from lawful.datamap.models import DataMap
from lawful.datamap.taxonomy import is_free_text
from lawful.engine.access import AccessResult, DatasetAccess
from lawful.engine.erasure import left_out_entries
from lawful.engine.labels import DatasetLabels
from lawful.engine.redaction import WHY_OTHERS, OwnIdentifiers, own_identifiers, redact_others
from lawful.engine.values import plain
from lawful.formats import currency_of, is_cents
from lawful.jinja import environment, package_templates

REDACTED = "[redacted: about other people]"
# A cell starting like a formula is run by spreadsheets (OWASP "CSV injection").
_FORMULA_START = ("=", "@", "\t", "\r")


@dataclass(frozen=True)
class ForwardMade:
    """A forward that happened: the client told of the request, when, and how."""

    client_name: str
    sent_on: date
    channel: str


def write_access_package(
    *,
    result: AccessResult,
    datamap: DataMap,
    path: Path,
    forwards: Sequence[ForwardMade] = (),
) -> Path:
    """Write the package atomically (never a half-written ZIP), readable by the owner only.
    `forwards` are the clients actually told of the request: the package claims no other."""
    shown = shown_datasets(result, datamap)
    data = package_data(result, datamap, forwards, shown=shown)
    files = {"data.json": json.dumps(data, indent=2, ensure_ascii=False)}
    for dataset in shown:
        files[f"{dataset.labels.dataset}.csv"] = _csv(dataset)
    if not result.portability:
        files["report.html"] = render_report(result, datamap, forwards, shown=shown)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with (
            os.fdopen(descriptor, "wb") as handle,
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            for name, text in files.items():
                archive.writestr(name, text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _with_records(result: AccessResult) -> list[DatasetAccess]:
    """Only where something was found: the package is about the person, not the schema."""
    return [d for d in result.datasets if d.rows]


@dataclass(frozen=True)
class ShownDataset:
    """A dataset as the package shows it: rows redacted, and what was redacted in free text."""

    access: DatasetAccess
    rows: list[dict[str, Any]]
    redactions: Counter[str]  # entity type → values replaced in free-text fields

    @property
    def labels(self) -> DatasetLabels:
        return self.access.labels


def shown_datasets(result: AccessResult, datamap: DataMap) -> list[ShownDataset]:
    """Each dataset with records, redacted once for the JSON, the CSVs and the report."""
    own = _own(result, datamap)
    shown = []
    for dataset in _with_records(result):
        texts = _free_text_fields(dataset, datamap)
        counts: Counter[str] = Counter()
        rows = [_shown_row(dataset, row, texts, own, counts) for row in dataset.rows]
        shown.append(ShownDataset(dataset, rows, counts))
    return shown


def _own(result: AccessResult, datamap: DataMap) -> OwnIdentifiers:
    values = [
        (label.category, row.get(name))
        for dataset in result.datasets
        for row in dataset.rows
        for name, label in dataset.labels.fields.items()
        if not label.about_others
    ]
    return own_identifiers(datamap=datamap, identity=result.identity, values=values)


def _free_text_fields(dataset: DatasetAccess, datamap: DataMap) -> set[str]:
    declared = datamap.datasets[dataset.labels.dataset].fields
    return {
        n for n in dataset.labels.fields if n in declared and is_free_text(datamap, declared[n])
    }


def _shown_row(
    dataset: DatasetAccess,
    row: dict[str, Any],
    texts: set[str],
    own: OwnIdentifiers,
    counts: Counter[str],
) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name, value in row.items():
        label = dataset.labels.fields.get(name)
        if label is not None and label.about_others and value is not None:
            shown[name] = REDACTED
        elif name in texts and isinstance(value, str):
            # GDPR Art. 15(4): the copy must not adversely affect the rights of others.
            shown[name], found = redact_others(value, own=own)
            counts.update(found)
        else:
            shown[name] = plain(value)
    return shown


def _redaction_note(dataset: ShownDataset) -> dict[str, Any] | None:
    if not dataset.redactions:
        return None
    by_type = {_ENTITY_WORDS.get(e, e.lower()): n for e, n in sorted(dataset.redactions.items())}
    return {"count": dataset.redactions.total(), "by_type": by_type, "why": WHY_OTHERS}


_ENTITY_WORDS = {"PERSON": "names", "EMAIL": "email addresses", "PHONE_NUMBER": "phone numbers"}


def package_data(
    result: AccessResult,
    datamap: DataMap,
    forwards: Sequence[ForwardMade] = (),
    *,
    shown: list[ShownDataset] | None = None,
) -> dict[str, Any]:
    """The machine-readable part: records with their labels, in plain JSON."""
    shown = shown_datasets(result, datamap) if shown is None else shown
    org = datamap.organization
    return {
        "format": "lawful-portability/1" if result.portability else "lawful-access/1",
        "generated_at": result.generated_at.isoformat(),
        "request": result.shown_reference,
        "controller": {"name": org.name, "contact": facts.contact_lines(org.contact)},
        "datasets": [_dataset_data(d) for d in shown],
        "forwarded_to": [
            {"client": f.client_name, "date": f.sent_on.isoformat(), "channel": f.channel}
            for f in forwards
        ],
        "not_searched_automatically": [m.dataset for m in result.manual],
        # Rows reached through the person's rows but owned by others (Art. 15(4)).
        "left_out": left_out_entries(result.left_out),
    }


def _dataset_data(dataset: ShownDataset) -> dict[str, Any]:
    labels = dataset.labels
    note = _redaction_note(dataset)
    return {
        "id": labels.dataset,
        "name": labels.name,
        "system": labels.system,
        "stored_in": labels.location,
        "purposes": [{"purpose": p.name, "legal_basis": p.legal_basis} for p in labels.purposes],
        "recipients": [f"{r.name} ({r.role}, {r.country})" for r in labels.recipients],
        "retention": list(labels.retention),
        "source": labels.source,
        "transfers": list(labels.transfers),
        "fields": {
            n: {"category": f.category, "category_name": f.category_name}
            for n, f in labels.fields.items()
        },
        "records": dataset.rows,
        "restricted_records": [i for i, flag in enumerate(dataset.access.restricted) if flag],
        **({"redacted_in_free_text": note} if note else {}),
    }


def _csv(dataset: ShownDataset) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dataset.labels.fields), extrasaction="ignore")
    writer.writeheader()
    for row in dataset.rows:
        writer.writerow({name: _cell(value) for name, value in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_report(
    result: AccessResult,
    datamap: DataMap,
    forwards: Sequence[ForwardMade] = (),
    *,
    shown: list[ShownDataset] | None = None,
) -> str:
    """The human-readable report (Art. 15(1)(a)–(h), 15(2)), autoescaped HTML."""
    shown = shown_datasets(result, datamap) if shown is None else shown
    template = _templates().get_template("access_report.html.j2")
    org = datamap.organization
    automated = facts.unique(
        p.automated_decisions
        for d in _with_records(result)
        for p in d.labels.purposes
        if p.automated_decisions
    )
    return template.render(
        result=result,
        forwards=forwards,
        org=org,
        contact=facts.contact_lines(org.contact),
        dpo=facts.dpo_lines(org.dpo),
        channels=_channels(datamap),
        authority=org.lead_authority,
        automated=automated,
        transfers=facts.unique(t for d in _with_records(result) for t in d.labels.transfers),
        datasets=[(d.access, d.rows, _redaction_note(d)) for d in shown],
        redacted=any(REDACTED in row.values() for d in shown for row in d.rows),
        redacted_in_text=any(d.redactions for d in shown),
        left_out=left_out_entries(result.left_out),
        currency=currency_of(org.address.country),  # amounts kept in cents (`*_cents`)
        is_cents=is_cents,
    )


@cache
def _templates() -> Environment:
    """Built once: Jinja compiles and caches each template on first use."""
    return environment(
        package_templates("lawful.engine"), strict=False, keep_trailing_newline=False
    )


def _channels(datamap: DataMap) -> list[str]:
    requests = datamap.organization.requests
    if requests is None:
        return facts.contact_lines(datamap.organization.contact)
    found = [requests.url, requests.email, requests.phone, requests.toll_free]
    found.append(requests.post.one_line() if requests.post else None)
    return [c for c in found if c]
