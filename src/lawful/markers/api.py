"""The markers over the JSON API, for business systems that poll (scope `markers:read`):
the changes since a cursor, and the markers in force as JSON or CSV. Identities travel only in
the answer to an authenticated caller, never in a URL (the dataset is the only filter)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lawful.auth.models import ApiToken
from lawful.datamap.models import DataMap
from lawful.http.csvfile import csv_text, download
from lawful.http.deps import DataMapDep, DbSession, KeyringDep, require_scopes
from lawful.http.errors import TOKEN_ERRORS, error_responses
from lawful.markers.errors import UnknownDatasetError
from lawful.markers.repository import changes_since, marker_event, markers_in_force
from lawful.markers.schemas import ChangesPage, MarkerOut, MarkersPage
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring

router = APIRouter(prefix="/api/v1/markers", tags=["markers"], responses=TOKEN_ERRORS)
MarkersReader = Annotated[ApiToken, Depends(require_scopes("markers:read"))]
Dataset = Annotated[str | None, Query(max_length=100, description="Only this dataset's markers")]
COLUMNS = ("marker_id", "dataset", "kind", "reason", "since", "identities", "keys")


def _known(datamap: DataMap, dataset: str | None) -> None:
    if dataset is not None and dataset not in datamap.datasets:
        raise UnknownDatasetError(dataset, sorted(datamap.datasets))


def _read(db: Session, token: ApiToken, what: str, dataset: str | None, count: int) -> None:
    """A system read identities: the trail says which token, what and how many."""
    record_event(
        db,
        actor=f"token:{token.id}",
        action="markers.read",
        subject_type="markers",
        subject_id=dataset or "*",
        details={"what": what, "count": count},
    )
    db.commit()


@router.get(
    "/changes",
    response_model=ChangesPage,
    summary="Markers placed or lifted since a cursor, oldest first",
    responses=error_responses(422),
)
def changes(
    db: DbSession,
    datamap: DataMapDep,
    keyring: KeyringDep,
    token: MarkersReader,
    dataset: Dataset = None,
    cursor: Annotated[int, Query(ge=0, description="The last `seq` seen; 0 at first")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangesPage:
    _known(datamap, dataset)
    rows = changes_since(db, dataset=dataset, cursor=cursor, limit=limit)
    out = [MarkerOut.model_validate(marker_event(keyring, c, m)) for c, m in rows]
    _read(db, token, "changes", dataset, len(out))
    return ChangesPage(changes=out, next_cursor=rows[-1][0].seq if rows else cursor)


def _in_force(
    db: Session, keyring: Keyring, dataset: str | None, after: str, limit: int
) -> tuple[list[MarkerOut], str | None]:
    found = markers_in_force(db, dataset=dataset, after=after, limit=limit)
    out = [MarkerOut.model_validate(marker_event(keyring, None, m)) for m in found]
    return out, (found[-1].id if len(found) == limit else None)


@router.get(
    "",
    response_model=MarkersPage,
    summary="Markers in force (JSON, or CSV with format=csv), by page",
    responses={**error_responses(422), 200: {"content": {"text/csv": {}}}},
)
def in_force(
    db: DbSession,
    datamap: DataMapDep,
    keyring: KeyringDep,
    token: MarkersReader,
    dataset: Dataset = None,
    after: Annotated[str, Query(max_length=32, description="`next_after` of the page before")] = "",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    format: Literal["json", "csv"] = "json",
) -> MarkersPage | Response:
    _known(datamap, dataset)
    markers, next_after = _in_force(db, keyring, dataset, after, limit)
    _read(db, token, f"in_force.{format}", dataset, len(markers))
    if format == "json":
        return MarkersPage(markers=markers, next_after=next_after)
    rows = [
        (m.marker_id, m.dataset, m.kind, m.reason, m.since, json.dumps(m.identities),
         json.dumps(m.keys))
        for m in markers
    ]  # fmt: skip
    return download(csv_text(COLUMNS, rows), file_name=f"markers-{dataset or 'all'}.csv")
