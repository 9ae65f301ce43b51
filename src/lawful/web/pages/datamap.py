"""The data map, drawn: a picture of systems, datasets, references and recipients (by country,
with their safeguards), each node linking to a page of its details. Every staff role may read
it: the map is the shared description of what the organisation holds."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from lawful.datamap.drawing import DrawingError, draw_map, flows, recipient_safeguard
from lawful.datamap.facts import (
    category_label,
    purpose_name,
    recipient_name,
    retention_limit,
    role_name,
    rule_datasets,
    subject_name,
)
from lawful.datamap.models import DataMap, EraseSpec, EraseStrategy
from lawful.errors import DomainError
from lawful.http.deps import CurrentStaff, DataMapDep
from lawful.http.errors import error_response
from lawful.http.templating import render

router = APIRouter(include_in_schema=False)
KINDS = {"dataset": "datasets", "system": "systems", "recipient": "recipients"}


class MapEntryNotFoundError(DomainError):
    http_status = 404
    code = "not_found"


def node_link(kind: str, ident: str) -> str:
    """The console page of a node of the picture."""
    return f"/admin/map/{KINDS[kind]}/{quote(ident, safe='')}"


@router.get("/admin/map", response_class=HTMLResponse)
def map_page(request: Request, datamap: DataMapDep, staff: CurrentStaff) -> Response:
    try:
        svg = draw_map(datamap, link=node_link).decode()
    except DrawingError as error:
        return error_response(request, status=503, message=error.message, code=error.code)
    context = {"active": "map", "svg": Markup(svg), "datamap": datamap}  # noqa: S704 (sanitised)
    return render(request, "datamap/map.html.j2", context)


@router.get("/admin/map.{kind}")
def map_download(request: Request, datamap: DataMapDep, staff: CurrentStaff, kind: str) -> Response:
    if kind not in ("svg", "png"):
        raise MapEntryNotFoundError(f"The map is drawn as map.svg or map.png, not map.{kind}.")
    try:
        body = draw_map(datamap, fmt="svg" if kind == "svg" else "png")
    except DrawingError as error:
        return error_response(request, status=503, message=error.message, code=error.code)
    media = "image/svg+xml" if kind == "svg" else "image/png"
    headers = {"Content-Disposition": f'attachment; filename="data-map.{kind}"'}
    return Response(body, media_type=media, headers=headers)


@dataclass(frozen=True)
class FieldRow:
    name: str
    category: str
    erase: str
    reference: str | None
    about_others: bool


@router.get("/admin/map/datasets/{did}", response_class=HTMLResponse)
def dataset_page(request: Request, datamap: DataMapDep, staff: CurrentStaff, did: str) -> Response:
    dataset = datamap.datasets.get(did)
    if dataset is None:
        raise MapEntryNotFoundError(f"The data map has no dataset {did!r}: see the map's list.")
    rows = [
        FieldRow(
            name=name,
            category=category_label(datamap, field.category),
            erase=_erase_words(
                field.erase_spec(),
                structural=name in dataset.key_fields() or field.references is not None,
            ),
            reference=field.references.to if field.references else None,
            about_others=field.about_others,
        )
        for name, field in dataset.fields.items()
    ]
    rules = {
        rid: rule for rid, rule in datamap.retention.items() if did in rule_datasets(datamap, rule)
    }
    context = {
        "active": "map",
        "did": did,
        "dataset": dataset,
        "system": datamap.systems.get(dataset.system),
        "subject": subject_name(datamap, dataset.subject),
        "rows": rows,
        "purposes": [(pid, purpose_name(datamap, pid)) for pid in dataset.purposes],
        "identities": dataset.identity_fields(),
        "rules": [(rid, rule, retention_limit(datamap, rule)) for rid, rule in rules.items()],
    }
    return render(request, "datamap/dataset.html.j2", context)


@router.get("/admin/map/systems/{sid}", response_class=HTMLResponse)
def system_page(request: Request, datamap: DataMapDep, staff: CurrentStaff, sid: str) -> Response:
    system = datamap.systems.get(sid)
    if system is None:
        raise MapEntryNotFoundError(f"The data map has no system {sid!r}: see the map's list.")
    context = {
        "active": "map",
        "sid": sid,
        "system": system,
        "vendor": recipient_name(datamap, system.vendor) if system.vendor else None,
        "datasets": {d: ds for d, ds in datamap.datasets.items() if ds.system == sid},
        "recipients": _recipients_of(datamap, sid),
    }
    return render(request, "datamap/system.html.j2", context)


@router.get("/admin/map/recipients/{rid}", response_class=HTMLResponse)
def recipient_page(
    request: Request, datamap: DataMapDep, staff: CurrentStaff, rid: str
) -> Response:
    recipient = datamap.recipients.get(rid)
    if recipient is None:
        raise MapEntryNotFoundError(f"The data map has no recipient {rid!r}: see the map's list.")
    safeguard, valid = recipient_safeguard(datamap, rid)
    context = {
        "active": "map",
        "rid": rid,
        "recipient": recipient,
        "role": role_name(recipient.role),
        "safeguard": safeguard,
        "valid": valid,
        "categories": [category_label(datamap, c) for c in recipient.categories],
        "purposes": [(pid, purpose_name(datamap, pid)) for pid in recipient.purposes],
        "systems": [
            (f.system, datamap.systems[f.system].name) for f in flows(datamap) if f.recipient == rid
        ],
    }
    return render(request, "datamap/recipient.html.j2", context)


def _recipients_of(datamap: DataMap, sid: str) -> list[tuple[str, str, str, bool]]:
    found = []
    for flow in flows(datamap):
        if flow.system == sid:
            safeguard, valid = recipient_safeguard(datamap, flow.recipient)
            found.append(
                (flow.recipient, recipient_name(datamap, flow.recipient), safeguard, valid)
            )
    return found


_ERASE_WORDS = {
    EraseStrategy.nullify: "emptied",
    EraseStrategy.replace_: "replaced",
    EraseStrategy.hash: "replaced by a hash",
    EraseStrategy.random: "replaced by random data",
    EraseStrategy.truncate_date: "date truncated",
    EraseStrategy.keep: "kept",
    EraseStrategy.redact: "the person's identifiers redacted",
}


def _erase_words(spec: EraseSpec | None, *, structural: bool) -> str:
    """What masking does to a field, as `lawful.engine.strategies.field_strategy` decides."""
    if spec is None:
        return "kept (holds the rows together)" if structural else "emptied"
    words = _ERASE_WORDS[spec.strategy]
    if spec.strategy is EraseStrategy.replace_:
        return f"{words} by “{spec.value}”"
    if spec.strategy is EraseStrategy.truncate_date:
        return f"{words} to the {spec.value or 'year'}"
    if spec.strategy is EraseStrategy.redact and spec.value == "all":
        return "every finding redacted"
    return words
