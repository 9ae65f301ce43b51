"""Rules evaluated as the law counts: a record is due when its start plus the period is on or
before the day of the sweep; the cutoff a store filters on says exactly the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from lawful.datamap.models import (
    DataField,
    DataMap,
    Dataset,
    Organization,
    RetentionRule,
    RetentionScope,
)
from lawful.engine.holds import add_period
from lawful.retention.rules import (
    age_on,
    blocking_rules,
    cutoff_day,
    dataset_order,
    is_due,
    scoped_fields,
    start_field,
    still_running,
    targets,
)

PERIODS = ["P1D", "P30D", "P1M", "P3M", "P6M", "P1Y", "P2Y", "P25M", "P10Y", "P1Y6M", "P2W"]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("as_of", [date(2024, 2, 29), date(2026, 11, 1), date(2025, 3, 31)])
def test_a_start_before_the_cutoff_is_exactly_a_period_run_out(period: str, as_of: date) -> None:
    cutoff = cutoff_day(as_of, period)
    for offset in range(-800, 800):
        start = cutoff + timedelta(days=offset)
        assert (start < cutoff) == (add_period(start, period) <= as_of), (start, period)


def test_month_ends_clamp_so_the_last_days_of_january_end_together() -> None:
    # 29, 30 and 31 January 2023 + 1 month all end on 28 February 2023.
    assert cutoff_day(date(2023, 2, 28), "P1M") == date(2023, 2, 1)
    assert cutoff_day(date(2023, 2, 27), "P1M") == date(2023, 1, 28)


def _dataset(**fields: str) -> Dataset:
    return Dataset(
        system="crm",
        subject="customer",
        primary_key="id",
        events={"last_contact": "last_contact_at", "closed": "closed_at"},
        fields={"id": DataField(category="identifier.internal")}
        | {name: DataField(category=category) for name, category in fields.items()},
    )


def _rule(period: str, start: str, **scope: list[str]) -> RetentionRule:
    return RetentionRule(applies_to=RetentionScope(**scope), period=period, start=start)


def test_a_rule_counts_from_its_event_or_from_a_field_of_that_name() -> None:
    dataset = _dataset(last_contact_at="record.timestamp", created_at="record.timestamp")
    assert start_field(_rule("P1Y", "last_contact", datasets=["x"]), dataset) == "last_contact_at"
    assert start_field(_rule("P1Y", "created_at", datasets=["x"]), dataset) == "created_at"
    assert start_field(_rule("P1Y", "signed", datasets=["x"]), dataset) is None


def test_a_rule_scoped_by_categories_covers_only_their_fields() -> None:
    dataset = _dataset(recording="communication.call_recording", note="communication.message")
    rule = _rule(
        "P6M", "closed", categories=["communication.call_recording"], subjects=["customer"]
    )
    assert scoped_fields(rule, dataset) == frozenset({"recording"})
    assert scoped_fields(_rule("P6M", "closed", datasets=["calls"]), dataset) is None


def _map(datasets: dict[str, Dataset], rules: dict[str, RetentionRule]) -> DataMap:
    organization = Organization.model_validate(
        {
            "name": "Example SAS",
            "address": {"street": "1 rue", "city": "Lyon", "country": "FR"},
            "contact": {"email": "privacy@example.org"},
            "jurisdictions": ["gdpr"],
        }
    )
    return DataMap(organization=organization, datasets=datasets, retention=rules)


def test_a_longer_rule_still_running_keeps_a_record_a_shorter_one_would_delete() -> None:
    dataset = _dataset(
        last_contact_at="record.timestamp", closed_at="record.timestamp", name="name"
    )
    datamap = _map(
        {"contacts": dataset},
        {
            "marketing": _rule("P3Y", "last_contact", datasets=["contacts"]),
            "books": _rule("P10Y", "closed", datasets=["contacts"]),
        },
    )
    found = targets(datamap, as_of=date(2026, 11, 1))
    marketing, books = found
    old = {"id": 1, "last_contact_at": "2020-01-01", "closed_at": "2020-01-01"}
    ancient = {"id": 2, "last_contact_at": "2010-01-01", "closed_at": "2010-01-01"}
    still_open = {"id": 3, "last_contact_at": "2020-01-01", "closed_at": None}
    assert is_due(marketing, old)
    assert blocking_rules(marketing, found, old) == [books]
    assert blocking_rules(marketing, found, ancient) == []
    assert still_running(books, still_open)  # its start has not happened: it has not begun
    assert blocking_rules(marketing, found, still_open) == [books]


def test_datetimes_and_iso_text_are_due_by_their_day() -> None:
    dataset = _dataset(last_contact_at="record.timestamp")
    datamap = _map({"c": dataset}, {"r": _rule("P1Y", "last_contact", datasets=["c"])})
    (target,) = targets(datamap, as_of=date(2026, 11, 1))
    assert target.cutoff == date(2025, 11, 2)
    assert is_due(target, {"last_contact_at": datetime(2025, 11, 1, 23, 59)})
    assert not is_due(target, {"last_contact_at": "2025-11-02 00:00:00"})
    assert not is_due(target, {"last_contact_at": None})
    assert not is_due(target, {"last_contact_at": "soon"})


def test_datasets_holding_a_reference_come_before_the_ones_they_reference() -> None:
    parent = _dataset(name="name")
    child = Dataset(
        system="crm",
        subject="customer",
        fields={
            "id": DataField(category="identifier.internal"),
            "parent_id": DataField(category="identifier.internal", references="parents.id"),
        },
    )
    grandchild = Dataset(
        system="crm",
        subject="customer",
        fields={
            "id": DataField(category="identifier.internal"),
            "child_id": DataField(category="identifier.internal", references="children.id"),
        },
    )
    datamap = _map({"parents": parent, "children": child, "grandchildren": grandchild}, {})
    assert dataset_order(datamap) == ["grandchildren", "children", "parents"]


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        ("2008-11-01", 18),
        ("2008-11-02", 17),
        (date(2010, 5, 5), 16),
        ("unknown", None),
        (None, None),
    ],
)
def test_age_is_counted_in_whole_years_on_the_day(birth: object, age: int | None) -> None:
    assert age_on(birth, date(2026, 11, 1)) == age
