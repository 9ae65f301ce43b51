"""`before=(field, cutoff)` on `scan` and `count`: the rows a retention sweep pages through,
selected by the store on dates, timestamps, aware timestamps and ISO 8601 text alike."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from lawful.connectors import Connector, ConnectorError, open_connector
from lawful.connectors.base import is_before
from lawful.datamap.models import Connection

Store = Any  # tests/connectors/conftest.py: Store (conftest modules are not importable)

CUTOFF = date(2024, 3, 1)
# (id, day): rows 1–4 fall before 1 March 2024, row 5 is on it, 6 after, 7 has no date.
DAYS: list[tuple[int, date | None]] = [
    (1, date(2019, 5, 2)),
    (2, date(2023, 12, 31)),
    (3, date(2024, 2, 29)),
    (4, date(2024, 2, 10)),
    (5, date(2024, 3, 1)),
    (6, date(2025, 1, 1)),
    (7, None),
]
DUE = [1, 2, 3, 4]


def _dated_table(store: Store) -> sa.Table:
    """`events` with the same moment as a DATE, a TIMESTAMP, ISO text and an int column."""
    metadata = sa.MetaData()
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("on_day", sa.Date),
        sa.Column("at", sa.DateTime),
        sa.Column("at_text", sa.String(32)),
        sa.Column("day_text", sa.String(10)),
        sa.Column("score", sa.Integer),
    ]
    # TIMESTAMP WITH TIME ZONE on PostgreSQL; the others keep no zone (stored as UTC here).
    columns.append(sa.Column("at_tz", sa.DateTime(timezone=True)))
    table: sa.Table = sa.Table("events", metadata, *columns)
    metadata.create_all(store.admin)
    rows = [_dated_row(i, day) for i, day in DAYS]
    with store.admin.begin() as conn:
        conn.execute(table.insert(), rows)
    return table


def _dated_row(i: int, day: date | None) -> dict[str, Any]:
    moment = datetime(day.year, day.month, day.day, 13, 45, 10) if day else None
    return {
        "id": i,
        "on_day": day,
        "at": moment,
        "at_text": moment.isoformat(sep=" ") if moment else None,
        "day_text": day.isoformat() if day else None,
        "score": i,
        "at_tz": moment.replace(tzinfo=UTC) if moment else None,
    }


def _scan_all(connector: Connector, field: str, cutoff: date, *, limit: int = 2) -> list[int]:
    found: list[int] = []
    after = None
    while page := connector.scan(
        "events", key="id", columns=[field], after=after, limit=limit, before=(field, cutoff)
    ):
        found += [row["id"] for row in page]
        after = page[-1]["id"]
    return found


@pytest.mark.parametrize("field", ["on_day", "at", "at_text", "day_text"])
def test_scan_pages_only_through_rows_dated_before_the_cutoff(store: Store, field: str) -> None:
    _dated_table(store)
    connector = store.open()
    assert _scan_all(connector, field, CUTOFF) == DUE


@pytest.mark.parametrize("field", ["on_day", "at", "at_text", "day_text"])
def test_count_counts_only_rows_dated_before_the_cutoff(store: Store, field: str) -> None:
    _dated_table(store)
    connector = store.open()
    assert connector.count("events", before=(field, CUTOFF)) == len(DUE)
    assert connector.count("events", where={"score": [1, 5, 6]}, before=(field, CUTOFF)) == 1
    assert (
        connector.count("events", where={"score": [1, 2], "id": [4, 5]}, before=(field, CUTOFF))
        == 3
    )


def test_an_aware_cutoff_is_compared_in_utc(store: Store) -> None:
    _dated_table(store)
    connector = store.open()
    assert _scan_all(connector, "at_tz", CUTOFF) == DUE
    # 29 Feb 2024 13:45:10 UTC is before 13:45:11 UTC that day, not before 13:45:10.
    exact = datetime(2024, 2, 29, 13, 45, 10, tzinfo=UTC)
    assert connector.count("events", before=("at_tz", exact)) == 3


def test_a_datetime_cutoff_is_exact_on_timestamps_and_by_the_day_on_dates(store: Store) -> None:
    _dated_table(store)
    connector = store.open()
    noon = datetime(2024, 2, 29, 12, 0)
    assert connector.count("events", before=("at", noon)) == 3  # 29 Feb at 13:45 is later
    assert connector.count("events", before=("on_day", noon)) == 4  # the day 29 Feb began


def test_a_column_that_holds_no_dates_is_refused_with_its_name(store: Store) -> None:
    _dated_table(store)
    connector = store.open()
    with pytest.raises(ConnectorError, match="column `score` holds"):
        connector.scan("events", key="id", columns=[], before=("score", CUTOFF))


def test_a_missing_date_column_is_named(store: Store) -> None:
    _dated_table(store)
    connector = store.open()
    with pytest.raises(ConnectorError, match="column `gone` does not exist"):
        connector.count("events", before=("gone", CUTOFF))


# --- files -------------------------------------------------------------------------------------


def _write_file(kind: str, path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"id": i, "seen": (datetime(d.year, d.month, d.day, 9, 30) if d else None)} for i, d in DAYS
    ]
    if kind == "csv":
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["id", "seen"])
            writer.writerows([r["id"], r["seen"].isoformat() if r["seen"] else ""] for r in rows)
    elif kind == "jsonl":
        text = "".join(
            json.dumps({"id": r["id"], "seen": r["seen"].isoformat() if r["seen"] else None}) + "\n"
            for r in rows
        )
        path.write_text(text)
    else:
        schema = pa.schema([("id", pa.int64()), ("seen", pa.timestamp("s"))])
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_file_stores_select_rows_dated_before_the_cutoff(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    _write_file(kind, folder / f"events.{kind}")
    connector = open_connector(
        "exports", Connection(type=kind, path="data"), base_dir=tmp_path, environ={}
    )
    found: list[int] = []
    after = None
    while page := connector.scan(
        "events", key="id", columns=[], after=after, limit=3, before=("seen", CUTOFF)
    ):
        found += [int(row["id"]) for row in page]
        after = page[-1]["id"]
    assert found == DUE
    assert connector.count("events", before=("seen", CUTOFF)) == len(DUE)
    assert connector.count("events", where={"id": [1, 6]}, before=("seen", CUTOFF)) == 1


def test_an_http_api_refuses_a_date_filter_and_says_why(tmp_path: Path) -> None:
    options = {"tables": {"users": {"scan": "GET /users?after={after}&limit={limit}"}}}
    connection = Connection(type="http", options={"base_url": "http://127.0.0.1:9", **options})
    connector = open_connector("helpdesk", connection, base_dir=tmp_path, environ={})
    with pytest.raises(ConnectorError, match="cannot be asked for records dated before"):
        connector.scan("users", key="id", columns=[], before=("created", CUTOFF))
    with pytest.raises(ConnectorError, match="retention rules cannot be swept here"):
        connector.count("users", before=("created", CUTOFF))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29", True),
        ("2024-03-01", False),
        ("2024-02-29T23:59:59", True),
        ("2024-03-01 00:00:00", False),
        ("2024-02-29T23:30:00-01:00", False),  # 00:30 UTC on 1 March
        (date(2024, 2, 1), True),
        (datetime(2024, 2, 29, 23, 0, tzinfo=UTC), True),
        ("", False),
        ("not a date", False),
        (None, False),
        (20240201, False),
    ],
)
def test_is_before_reads_dates_datetimes_and_iso_text(value: object, expected: bool) -> None:
    assert is_before(value, CUTOFF) is expected
