"""Erase strategies and legal-obligation periods, value by value."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from lawful.datamap.models import EraseSpec, EraseStrategy
from lawful.engine.holds import add_period
from lawful.engine.strategies import erased_value, truncate_date
from lawful.engine.values import decode, encode
from lawful.store.crypto import Keyring

KEYRING = Keyring.from_master(b"\x07" * 32)


def _erase(
    strategy: EraseStrategy, value: object, *, category: str = "name", spec_value: str | None = None
) -> object:
    return erased_value(
        EraseSpec(strategy=strategy, value=spec_value), value, category=category, keyring=KEYRING
    )


def test_hash_is_keyed_stable_and_hides_the_value() -> None:
    digest = _erase(EraseStrategy.hash, "alice@example.org")
    assert digest == _erase(EraseStrategy.hash, "alice@example.org")
    assert isinstance(digest, str)
    assert re.fullmatch(r"[0-9a-f]{32}", digest)
    other_key = erased_value(
        EraseSpec(strategy=EraseStrategy.hash),
        "alice@example.org",
        category="name",
        keyring=Keyring.from_master(b"\x08" * 32),
    )
    assert other_key != digest


def test_random_values_keep_the_shape_of_what_they_replace() -> None:
    email = _erase(EraseStrategy.random, "alice@example.org", category="contact.email")
    assert isinstance(email, str)
    assert email.endswith("@erased.invalid")
    assert email != _erase(EraseStrategy.random, "alice@example.org", category="contact.email")
    assert isinstance(_erase(EraseStrategy.random, 42), int)
    assert _erase(EraseStrategy.random, date(1990, 5, 17)) is None


def test_replace_nullify_and_keep() -> None:
    assert _erase(EraseStrategy.replace_, "Alice", spec_value="(erased)") == "(erased)"
    assert _erase(EraseStrategy.nullify, "Alice") is None
    assert _erase(EraseStrategy.keep, "Alice") == "Alice"
    assert _erase(EraseStrategy.hash, None) is None


@pytest.mark.parametrize(
    ("value", "to", "expected"),
    [
        (date(1990, 5, 17), "year", date(1990, 1, 1)),
        (
            datetime(1990, 5, 17, 8, 30, tzinfo=UTC),
            "month",
            datetime(1990, 5, 1, tzinfo=UTC),
        ),
        ("1990-05-17", "year", "1990-01-01"),
        ("1990-05-17 08:30:00", "month", "1990-05-01 00:00:00"),
        ("1990-05-17T08:30:00", "year", "1990-01-01T00:00:00"),
        ("not a date", "year", None),
    ],
)
def test_date_truncation_keeps_the_values_type_and_format(
    value: object, to: str, expected: object
) -> None:
    assert truncate_date(value, to=to) == expected


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        (date(2024, 3, 1), "P10Y", date(2034, 3, 1)),
        (date(2024, 1, 31), "P1M", date(2024, 2, 29)),  # month ends clamp
        (date(2023, 11, 15), "P1Y2M", date(2025, 1, 15)),
        (date(2024, 1, 1), "P2W3D", date(2024, 1, 18)),
    ],
)
def test_periods_are_added_in_calendar_units(start: date, period: str, end: date) -> None:
    assert add_period(start, period) == end


@pytest.mark.parametrize(
    "value", [None, 3, 2.5, "text", date(2024, 1, 2), datetime(2024, 1, 2, 3, 4), b"\x00\x01"]
)
def test_checkpointed_values_come_back_with_their_type(value: object) -> None:
    assert decode(encode(value)) == value
