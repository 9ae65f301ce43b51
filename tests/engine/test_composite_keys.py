"""Keys over several columns, and references over several columns, on a schema of our own
(the rental club): every row is named by its whole key, in the package, the erasure, the
checkpoints, the restriction markers and keyset pagination."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.base import ConnectorError, Key, Row
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import RetentionRule, RetentionScope
from lawful.engine.access import run_access
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.erasure import preview_erasure, run_erasure
from lawful.engine.errors import EngineError
from lawful.engine.jobs import JobReport
from lawful.engine.restriction import RestrictionReason, run_restriction
from lawful.retention.sweep import run_sweep
from lawful.store.crypto import Keyring
from lawful.store.models import JobStep

TODAY = __import__("datetime").date(2026, 11, 22)
ANN = "email=ann.lee@example.org"


def _items(rows: Sequence[dict[str, Any]]) -> set[tuple[int, int]]:
    return {(r["basket_id"], r["line_no"]) for r in rows}


def _erase(club: Any, sessions: sessionmaker[Session], keyring: Keyring, **kw: Any) -> JobReport:
    datastores = kw.pop("datastores", None) or club.datastores()
    with datastores:
        return run_erasure(
            sessions,
            datamap=club.datamap,
            identity=club.identity(ANN),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            **kw,
        )


def test_a_key_over_two_columns_puts_every_row_in_the_package(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with sessions() as session, club.datastores() as datastores:
        result = run_access(
            session,
            datamap=club.datamap,
            identity=club.identity(ANN),
            datastores=datastores,
            keyring=keyring,
        )
    found = {d.labels.dataset: d.rows for d in result.datasets}
    assert _items(found["basket_items"]) == {(1, 1), (1, 2), (1, 3), (2, 1)}
    # Found through the reference over (basket_id, line_no): Bo's return of (3, 1) is not.
    assert [r["reason"] for r in found["item_returns"]] == ["scratched"]


def test_erasure_deletes_every_row_of_a_composite_key_and_nothing_else(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    report = _erase(club, sessions, keyring, batch_size=2)
    assert report.status == "done", report
    after = club.snapshot()
    assert _items(after["basket_items"]) == {(3, 1), (3, 2)}
    assert [r["return_id"] for r in after["item_returns"]] == [2, 3]
    with sessions() as session:
        payloads = [
            keyring.decrypt_json(s.payload_sealed or b"", context="job_step.payload")
            for s in session.scalars(select(JobStep).where(JobStep.dataset == "basket_items"))
        ]
    # The checkpoint names each row by its whole key, as JSON that reads back the same.
    assert {tuple(p["key"]) for p in payloads} == {("basket_id", "line_no")}
    assert sorted((r["basket_id"], r["line_no"]) for p in payloads for r in p["rows"]) == [
        (1, 1), (1, 2), (1, 3), (2, 1)
    ]  # fmt: skip
    assert json.loads(json.dumps(payloads)) == payloads


class _FailingDeletes:
    """The real connector, except that deleting from one table fails (an outage) once."""

    def __init__(self, inner: Any, table: str) -> None:
        self.inner, self.table, self.failed = inner, table, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        if table == self.table and not self.failed:
            self.failed = True
            raise ConnectorError("the store went away", system="club", dataset=table)
        deleted: int = self.inner.delete(table, key=key, keys=keys)
        return deleted

    def update(self, table: str, *, key: Key, rows: Sequence[Row]) -> int:
        changed: int = self.inner.update(table, key=key, rows=rows)
        return changed


def test_an_erasure_stopped_midway_resumes_from_its_checkpoints_by_composite_keys(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    opened = registry_factory(club.datamap, base_dir=club.base_dir, environ=club.environ)
    failing = Datastores(lambda system: _FailingDeletes(opened(system), "basket_items"))
    first = _erase(club, sessions, keyring, datastores=failing)
    assert first.status == "failed"
    assert _items(club.snapshot()["basket_items"]) >= {(1, 1), (2, 1)}

    second = _erase(club, sessions, keyring)
    assert second.resumed
    assert second.status == "done", second
    assert _items(club.snapshot()["basket_items"]) == {(3, 1), (3, 2)}


def test_a_restriction_marks_rows_of_a_composite_key_and_erasure_keeps_them(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with sessions() as session, club.datastores() as datastores:
        result = run_restriction(
            session,
            datamap=club.datamap,
            identity=club.identity(ANN),
            datastores=datastores,
            keyring=keyring,
            reason=RestrictionReason.accuracy_contested,
        )
        session.commit()
        assert result.by_dataset["basket_items"] == 4
        preview = preview_erasure(
            session,
            datamap=club.datamap,
            identity=club.identity(ANN),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
        )
    kept = {k.dataset: (k.records, k.reason) for k in preview.kept}
    assert kept["basket_items"] == (4, "restricted")


def test_keyset_pagination_walks_a_composite_key_column_by_column(club: Any) -> None:
    with club.datastores() as datastores:
        connector = datastores.get("club")
        key = ("basket_id", "line_no")
        first = connector.scan("basket_items", key=key, columns=["product"], limit=3)
        rest = connector.scan("basket_items", key=key, columns=[], after=(1, 3), limit=10)
    assert _items(first) == {(1, 1), (1, 2), (1, 3)}
    assert [(r["basket_id"], r["line_no"]) for r in rest] == [(2, 1), (3, 1), (3, 2)]


def test_a_key_that_does_not_tell_rows_apart_is_refused(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    text = club.map_path.read_text().replace(
        "primary_key: [basket_id, line_no]", "primary_key: basket_id"
    )
    club.map_path.write_text(text)
    club.datamap = load_datamap(club.map_path).datamap
    before = club.snapshot()
    with pytest.raises(EngineError, match=r"basket_items.*does not tell rows apart"):
        _erase(club, sessions, keyring)
    assert club.snapshot() == before


def test_a_dataset_without_a_usable_key_is_refused_before_anything_changes(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    text = club.map_path.read_text().replace("    primary_key: return_id\n", "")
    club.map_path.write_text(text)  # no key declared: `id`, which the table does not have
    club.datamap = load_datamap(club.map_path).datamap
    before = club.snapshot()
    with pytest.raises(EngineError, match=r"item_returns.*the key \(id\) is not in table"):
        _erase(club, sessions, keyring)
    assert club.snapshot() == before


def test_a_retention_sweep_pages_through_a_composite_key_and_deletes_the_rows_due(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lawful.retention.evaluate.SCAN_PAGE", 2)  # pages over (basket, line)
    rule = RetentionRule(
        applies_to=RetentionScope(datasets=["basket_items"]), period="P1Y", start="added_on"
    )
    club.datamap = club.datamap.model_copy(update={"retention": {"old_lines": rule}})
    with club.datastores() as datastores:
        report = run_sweep(
            sessions,
            datamap=club.datamap,
            datastores=datastores,
            keyring=keyring,
            as_of=TODAY,
            operator="test",
            open_requests=None,
        )
    assert report.job.status == "done", report
    assert _items(club.snapshot()["basket_items"]) == {(1, 2), (3, 1), (3, 2)}
