"""CCPA §7102 metrics equal figures worked out by hand on a fixture year; the dashboard counts
volume, on-time answers and days by type; both read the requests domain's own records."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.reports.metrics import (
    CcpaType,
    Outcome,
    RequestRecord,
    ccpa_metrics,
    dashboard,
    metrics_csv,
)
from lawful.requests.counts import request_records


def _at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _record(kind: str, received: str, closed: str | None, outcome: Outcome, *,
            law: str = "ccpa", reason: str | None = None) -> RequestRecord:  # fmt: skip
    return RequestRecord(kind, _at(received), _at(closed) if closed else None, outcome, law,
                         None, reason)  # fmt: skip


C, P, D, W, Q = (Outcome.complied, Outcome.complied_in_part, Outcome.denied, Outcome.withdrawn,
                 Outcome.pending)  # fmt: skip
FIXTURE_YEAR = [
    # Requests to know (access, portability): 5 received in 2025.
    _record("access", "2025-01-10", "2025-01-30", C),  # 20 days
    _record("access", "2025-03-01", "2025-04-10", C),  # 40 days
    _record("portability", "2025-06-15", "2025-07-05", P),  # 20 days
    _record("access", "2025-09-01", "2025-09-11", D, reason="not_verifiable"),  # 10 days
    _record("access", "2025-12-30", None, Q),  # still open: no days
    # Requests to delete: 4 received.
    _record("erasure", "2025-02-01", "2025-02-16", C),  # 15 days
    _record("erasure", "2025-05-05", "2025-06-19", P),  # 45 days
    _record("erasure", "2025-07-07", "2025-07-10", D, reason="exempt"),  # 3 days
    _record("erasure", "2025-08-08", "2025-08-09", W),  # withdrawn: no days
    # Requests to correct: 1 received, answered across the new year.
    _record("rectification", "2025-12-20", "2026-01-09", C),  # 20 days
    # Requests to opt out: 3 received.
    _record("opt_out_sale_sharing", "2025-04-01", "2025-04-02", C),  # 1 day
    _record("opt_out_sale_sharing", "2025-04-03", "2025-04-03", C),  # 0 days
    _record("opt_out_sale_sharing", "2025-10-10", "2025-10-14", C),  # 4 days
    # Requests to limit: none.
    # Not counted: another year, another law, a type §7102 does not list.
    _record("access", "2024-12-31", "2025-01-05", C),
    _record("access", "2026-01-01", "2026-01-03", C),
    _record("erasure", "2025-03-03", "2025-03-20", C, law="gdpr"),
    _record("objection", "2025-03-03", "2025-03-20", C),
]

# Worked out by hand from the list above.
EXPECTED = {
    CcpaType.know: dict(received=5, complied=3, whole=2, part=1, denied=1, pending=1, withdrawn=0,
                        median=20.0, mean=22.5),  # days 20, 40, 20, 10 → median 20, mean 90/4
    CcpaType.delete: dict(received=4, complied=2, whole=1, part=1, denied=1, pending=0, withdrawn=1,
                          median=15.0, mean=21.0),  # days 15, 45, 3 → median 15, mean 63/3
    CcpaType.correct: dict(received=1, complied=1, whole=1, part=0, denied=0, pending=0, withdrawn=0,
                           median=20.0, mean=20.0),
    CcpaType.opt_out: dict(received=3, complied=3, whole=3, part=0, denied=0, pending=0, withdrawn=0,
                           median=1.0, mean=1.7),  # days 1, 0, 4 → median 1, mean 5/3
    CcpaType.limit: dict(received=0, complied=0, whole=0, part=0, denied=0, pending=0, withdrawn=0,
                         median=None, mean=None),
}  # fmt: skip


def test_the_7102_figures_equal_the_ones_worked_out_by_hand() -> None:
    metrics = ccpa_metrics(FIXTURE_YEAR, year=2025)
    got = {
        t.type: dict(received=t.received, complied=t.complied, whole=t.complied_in_whole,
                     part=t.complied_in_part, denied=t.denied, pending=t.pending,
                     withdrawn=t.withdrawn, median=t.median_days, mean=t.mean_days)
        for t in metrics.types
    }  # fmt: skip
    assert got == EXPECTED
    know = next(t for t in metrics.types if t.type is CcpaType.know)
    assert know.denied_by_reason == {"not_verifiable": 1}
    assert know.answered == 4


def test_the_csv_export_has_one_line_per_request_type() -> None:
    rows = list(csv.DictReader(io.StringIO(metrics_csv(ccpa_metrics(FIXTURE_YEAR, year=2025)))))
    assert [r["request type"] for r in rows] == [
        "Requests to know",
        "Requests to delete",
        "Requests to correct",
        "Requests to opt out of sale/sharing",
        "Requests to limit",
    ]
    delete = rows[1]
    assert (delete["received"], delete["complied with in whole or in part"], delete["denied"]) == (
        "4",
        "2",
        "1",
    )
    assert (delete["median days to respond"], delete["mean days to respond"]) == ("15", "21")
    assert rows[4]["median days to respond"] == ""


def test_the_json_export_names_the_regulation_and_its_counting_rules() -> None:
    document = json.loads(json.dumps(ccpa_metrics(FIXTURE_YEAR, year=2025).as_json()))
    assert document["regulation"] == "11 CCR §7102(a)(1)"
    assert document["year"] == 2025
    assert document["types"][0]["complied_in_whole_or_in_part"] == 3
    assert any("calendar year they were received" in rule for rule in document["rules"])


def test_the_dashboard_counts_volume_on_time_answers_and_median_days() -> None:
    records = [
        RequestRecord("access", _at("2026-09-03"), _at("2026-09-20"), C, "gdpr", date(2026, 10, 3)),
        RequestRecord(
            "access", _at("2026-09-10"), _at("2026-10-20"), C, "gdpr", date(2026, 10, 10)
        ),
        RequestRecord(
            "erasure", _at("2026-10-01"), _at("2026-10-05"), D, "ccpa", date(2026, 11, 15)
        ),
        RequestRecord("erasure", _at("2026-10-02"), None, Q, "gdpr", date(2026, 11, 2)),
        RequestRecord("erasure", _at("2026-11-01"), None, Q, "gdpr", date(2026, 12, 1)),
    ]
    board = dashboard(records, today=date(2026, 11, 10), months=3)
    assert [(m.month, m.received, m.answered, m.on_time) for m in board.months] == [
        ("2026-09", 2, 1, 1),
        ("2026-10", 2, 2, 1),  # the 20 October answer came after its 10 October deadline
        ("2026-11", 1, 0, 0),
    ]
    assert board.months[1].on_time_rate == 0.5
    assert board.median_days == {"access": 28.5, "erasure": 4.0}  # (17 + 40) / 2
    assert (board.open_requests, board.overdue) == (2, 1)


def _stored(**given: Any) -> Any:
    """A rights request row: the columns the metrics read as given, any other required column
    filled with a placeholder (the requests domain owns the table and may add columns)."""
    from lawful.requests.models import RightsRequest

    values = dict(given)
    for column in RightsRequest.__table__.columns:
        if column.name in values or column.nullable or column.default is not None:
            continue
        values[column.name] = _placeholder(column.type, column.name)
    return RightsRequest(**values)


def _placeholder(kind: Any, name: str) -> Any:
    if isinstance(kind, sa.Enum):
        return kind.enum_class(kind.enums[0]) if kind.enum_class else kind.enums[0]
    if isinstance(kind, sa.LargeBinary):
        return b"sealed"
    if isinstance(kind, sa.DateTime):
        return _at("2026-01-01")
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1)
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.Integer):
        return 0
    return f"{name[:8]}-{uuid.uuid4().hex[:6]}"[: getattr(kind, "length", None) or 64]


def test_records_are_read_from_the_requests_domain_without_identities(
    platform_sessions: sessionmaker[Session],
) -> None:
    from lawful.law.requests import RequestType
    from lawful.requests.states import RequestStatus

    def stored(kind: RequestType, status: RequestStatus, closed: datetime | None, law: str) -> Any:
        return _stored(request_type=kind, status=status, jurisdiction=law, jurisdictions=[law],
                       received_at=_at("2026-03-01"), respond_by=date(2026, 4, 15), closed_at=closed)  # fmt: skip

    with platform_sessions() as session:
        session.add_all([
            stored(RequestType.access, RequestStatus.completed, _at("2026-03-11"), "ccpa"),
            stored(RequestType.erasure, RequestStatus.expired, _at("2026-03-31"), "ccpa"),
            stored(RequestType.erasure, RequestStatus.forwarded, _at("2026-03-05"), "ccpa"),
            stored(RequestType.access, RequestStatus.verifying, None, "ccpa"),
            stored(RequestType.access, RequestStatus.completed, _at("2026-03-11"), "gdpr"),
        ])  # fmt: skip
        session.commit()
        records = request_records(session)
    metrics = {t.type: t for t in ccpa_metrics(records, year=2026).types}
    know, delete = metrics[CcpaType.know], metrics[CcpaType.delete]
    assert (know.received, know.complied_in_whole, know.pending, know.median_days) == (
        2,
        1,
        1,
        10.0,
    )
    assert (delete.received, delete.complied_in_part, delete.denied) == (2, 1, 1)
    assert delete.denied_by_reason == {"not_verifiable": 1}


def test_the_command_exports_the_year_as_json_and_csv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from lawful.cli import app
    from lawful.law.requests import RequestType
    from lawful.requests.states import RequestStatus
    from lawful.store.db import create_store_engine, session_factory
    from lawful.store.migrate import upgrade_database

    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{(tmp_path / 'lawful.db').resolve()}"
    upgrade_database(url=url)
    engine = create_store_engine(url)
    with session_factory(engine)() as session:
        session.add(_stored(request_type=RequestType.rectification, status=RequestStatus.completed,
                            jurisdiction="ccpa", received_at=_at("2026-02-01"),
                            closed_at=_at("2026-02-08"), respond_by=date(2026, 3, 18)))  # fmt: skip
        session.commit()
    engine.dispose()
    result = CliRunner().invoke(
        app, ["report", "ccpa-metrics", "--year", "2026", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    correct = json.loads(result.output)["types"][2]
    assert (correct["type"], correct["received"], correct["median_days"]) == ("correct", 1, 7.0)
    written = tmp_path / "metrics.csv"
    result = CliRunner().invoke(
        app, ["report", "ccpa-metrics", "--year", "2026", "--format", "csv", "-o", str(written)]
    )
    assert result.exit_code == 0, result.output
    assert "Requests to correct,1,1,1,0,0,0,0,7,7" in written.read_text()
