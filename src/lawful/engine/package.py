"""The access package (GDPR Art. 15(3)): a ZIP with `data.json` (machine-readable), one CSV
per dataset, and `report.html` answering Art. 15(1)(a)–(h) and 15(2). The portability package
(Art. 20) holds the JSON and CSVs only. Fields about other people are redacted (Art. 15(4))."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from lawful.datamap.models import DataMap
from lawful.engine.access import AccessResult, DatasetAccess
from lawful.engine.erasure import left_out_entries
from lawful.engine.values import plain
from lawful.reports import facts

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
    data = package_data(result, datamap, forwards)
    files = {"data.json": json.dumps(data, indent=2, ensure_ascii=False)}
    for dataset in _with_records(result):
        files[f"{dataset.labels.dataset}.csv"] = _csv(dataset)
    if not result.portability:
        files["report.html"] = render_report(result, datamap, forwards)
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


def redacted_rows(dataset: DatasetAccess) -> list[dict[str, Any]]:
    hidden = {n for n, f in dataset.labels.fields.items() if f.about_others}
    return [
        {
            name: REDACTED if name in hidden and value is not None else plain(value)
            for name, value in row.items()
        }
        for row in dataset.rows
    ]


def package_data(
    result: AccessResult, datamap: DataMap, forwards: Sequence[ForwardMade] = ()
) -> dict[str, Any]:
    """The machine-readable part: records with their labels, in plain JSON."""
    org = datamap.organization
    return {
        "format": "lawful-portability/1" if result.portability else "lawful-access/1",
        "generated_at": result.generated_at.isoformat(),
        "request": result.job_id,
        "controller": {"name": org.name, "contact": facts.contact_lines(org.contact)},
        "datasets": [_dataset_data(d) for d in _with_records(result)],
        "forwarded_to": [
            {"client": f.client_name, "date": f.sent_on.isoformat(), "channel": f.channel}
            for f in forwards
        ],
        "not_searched_automatically": [m.dataset for m in result.manual],
        # Rows reached through the person's rows but owned by others (Art. 15(4)).
        "left_out": left_out_entries(result.left_out),
    }


def _dataset_data(dataset: DatasetAccess) -> dict[str, Any]:
    labels = dataset.labels
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
        "records": redacted_rows(dataset),
        "restricted_records": [i for i, flag in enumerate(dataset.restricted) if flag],
    }


def _csv(dataset: DatasetAccess) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dataset.labels.fields), extrasaction="ignore")
    writer.writeheader()
    for row in redacted_rows(dataset):
        writer.writerow({name: _cell(value) for name, value in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_report(
    result: AccessResult, datamap: DataMap, forwards: Sequence[ForwardMade] = ()
) -> str:
    """The human-readable report (Art. 15(1)(a)–(h), 15(2)), autoescaped HTML."""
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
        dpo=facts.contact_lines(org.dpo),
        channels=_channels(datamap),
        authority=org.lead_authority,
        automated=automated,
        transfers=facts.unique(t for d in _with_records(result) for t in d.labels.transfers),
        datasets=[(d, redacted_rows(d)) for d in _with_records(result)],
        redacted=any(REDACTED in row.values() for d in result.datasets for row in redacted_rows(d)),
        left_out=left_out_entries(result.left_out),
    )


@cache
def _templates() -> Environment:
    """Built once: Jinja compiles and caches each template on first use."""
    return Environment(
        loader=PackageLoader("lawful.engine", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _channels(datamap: DataMap) -> list[str]:
    requests = datamap.organization.requests
    if requests is None:
        return facts.contact_lines(datamap.organization.contact)
    found = [requests.url, requests.email, requests.phone, requests.toll_free]
    found.append(requests.post.one_line() if requests.post else None)
    return [c for c in found if c]
