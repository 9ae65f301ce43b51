"""Rectification (GDPR Art. 16): corrected values, checked first, on the person's own rows."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.errors import EngineError
from lawful.engine.jobs import JobReport
from lawful.engine.rectification import parse_corrections, run_rectification
from lawful.store.crypto import Keyring


def _rectify(shop: Any, sessions: sessionmaker[Session], keyring: Keyring, *sets: str) -> JobReport:
    with shop.datastores() as datastores:
        return run_rectification(
            sessions,
            datamap=shop.datamap,
            identity=shop.identity("email=alice@example.org"),
            corrections=parse_corrections(sets, datamap=shop.datamap),
            datastores=datastores,
            keyring=keyring,
        )


def test_a_field_and_a_category_are_corrected_on_the_persons_rows_only(
    shop: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = shop.snapshot()
    report = _rectify(
        shop, sessions, keyring, "people.email= Alice.Dupont@Example.org", "name=Alice Dupont"
    )
    assert report.status == "done"
    expected = copy.deepcopy(before)
    expected["people"][1].update(email="alice.dupont@example.org", full_name="Alice Dupont")
    expected["cards"][2].update(holder="Alice Dupont")  # card 1 is shared with Bob: left alone
    for key in (501, 502):
        expected["invoices"][key].update(billing_name="Alice Dupont")
    assert shop.snapshot() == expected  # orders.gift_for (about someone else) is untouched
    assert {k["dataset"] for k in report.summary["kept"]} == {"cards"}


def test_values_are_checked_per_category_before_anything_is_touched(sqlite_shop: Any) -> None:
    with pytest.raises(EngineError) as caught:
        parse_corrections(
            [
                "contact.email=not-an-email",
                "people.phone=12",
                "people.birth_date=31/12/1990",
                "people.nope=1",
            ],
            datamap=sqlite_shop.datamap,
        )
    text = str(caught.value)
    assert "dataset `people`: 'not-an-email' is not an email address" in text
    assert "not a phone number" in text
    assert "is not a date (write YYYY-MM-DD)" in text
    assert "'people.nope=1' names no field or category" in text
