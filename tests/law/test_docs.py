"""docs/deadlines.md names every request type, deadline kind, calendar and denial reason."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from lawful.law.calendars import CALENDARS
from lawful.law.denials import DenialReason, DRPDenialReason
from lawful.law.requests import DeadlineKind, RequestType

DOC = (Path(__file__).resolve().parents[2] / "docs" / "deadlines.md").read_text()
NAMED = set(re.findall(r"`([a-z0-9_]+)`", DOC))


@pytest.mark.parametrize("enum", [RequestType, DeadlineKind, DenialReason, DRPDenialReason])
def test_every_value_is_documented(enum: type[StrEnum]) -> None:
    assert {member.value for member in enum} - NAMED == set()


def test_every_calendar_is_documented() -> None:
    assert set(CALENDARS) - NAMED == set()
