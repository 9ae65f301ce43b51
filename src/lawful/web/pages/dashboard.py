"""The rights-request dashboard of the admin console: volume over time, the share answered
on time, median days by type (inline SVG charts), and the CCPA §7102 figures of a year with
their CSV and JSON exports. Every staff role may read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from lawful.http.deps import CurrentStaff, DbSession
from lawful.http.templating import render
from lawful.law.requests import REQUEST_TYPES, RequestType
from lawful.reports.charts import column_chart, row_chart
from lawful.reports.metrics import ccpa_metrics, dashboard, metrics_csv
from lawful.requests.counts import request_records
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)
Year = Annotated[int | None, Query(ge=2020, le=2100)]


@router.get("/admin/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, db: DbSession, staff: CurrentStaff, year: Year = None
) -> HTMLResponse:
    now = utcnow()
    chosen = year or now.year - 1  # §7102 reports the previous calendar year
    board = dashboard(request_records(db, since=now - timedelta(days=400)), today=now.date())
    metrics = ccpa_metrics(
        request_records(db, since=datetime(chosen, 1, 1, tzinfo=UTC)), year=chosen
    )
    charts = [
        column_chart(title="Requests received per month",
                     bars=[(m.month, float(m.received)) for m in board.months]),
        column_chart(title="Answered on time (share of the month's answers)", maximum=1,
                     bars=[(m.month, m.on_time_rate) for m in board.months],
                     value_label=lambda v: f"{v:.0%}"),
        row_chart(title="Median days to answer, by type (last 12 months)",
                  bars=[(_title(kind), days) for kind, days in board.median_days.items()]),
    ]  # fmt: skip
    context = {
        "active": "dashboard",
        "board": board,
        "charts": charts,
        "metrics": metrics,
        "year": chosen,
    }
    return render(request, "reports/dashboard.html.j2", context)


@router.get("/admin/dashboard/ccpa-metrics-{year}.{kind}")
def ccpa_export(
    db: DbSession, staff: CurrentStaff, year: int, kind: Literal["csv", "json"]
) -> Response:
    metrics = ccpa_metrics(request_records(db, since=datetime(year, 1, 1, tzinfo=UTC)), year=year)
    if kind == "csv":
        body, media = metrics_csv(metrics), "text/csv; charset=utf-8"
    else:
        body = json.dumps(metrics.as_json(), indent=2, ensure_ascii=False)
        media = "application/json"
    headers = {"Content-Disposition": f'attachment; filename="ccpa-metrics-{year}.{kind}"'}
    return Response(body, media_type=media, headers=headers)


def _title(kind: str) -> str:
    try:
        return REQUEST_TYPES[RequestType(kind)].title
    except ValueError:
        return kind
