"""docs/deadlines.md names every request type, deadline kind, calendar and denial reason,
each in the first column of its own section's table (a name mentioned in passing elsewhere
does not count), and every DRP denial code in the denials table's DRP column."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pytest

from lawful.law.calendars import CALENDARS
from lawful.law.denials import DenialReason, DRPDenialReason
from lawful.law.requests import DeadlineKind, RequestType

from ..support.markdown import names_in_column

DOC = (Path(__file__).resolve().parents[2] / "docs" / "deadlines.md").read_text()


@pytest.mark.parametrize(
    ("enum", "under", "column"),
    [
        (RequestType, "Request types", "type"),
        (DeadlineKind, "Deadline kinds", "kind"),
        (DenialReason, "Denials", "reason"),
        (DRPDenialReason, "Denials", "DRP code"),
    ],
)
def test_every_value_has_a_row_in_its_sections_table(
    enum: type[StrEnum], under: str, column: str
) -> None:
    documented = names_in_column(DOC, under=under, column=column)
    assert {member.value for member in enum} - documented == set()


def test_every_calendar_has_a_row_in_the_calendars_table() -> None:
    assert set(CALENDARS) - names_in_column(DOC, under="Calendars", column="code") == set()
