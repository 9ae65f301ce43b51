"""Legal holds: placed on a person, a dataset or a case, they stop erasure (GDPR Art.
17(3)(e)); they are listed with reason and owner, and released with an audit entry."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.erasure import run_erasure
from lawful.engine.identity import Identity, parse_identity
from lawful.engine.jobs import JobReport
from lawful.retention.errors import HoldConflictError, HoldNotFoundError, InvalidHoldError
from lawful.retention.holds import legal_holds_on
from lawful.retention.models import HoldScope, LegalHold
from lawful.retention.service import (
    add_legal_hold,
    list_legal_holds,
    refresh_held_records,
    release_legal_hold,
    view_hold,
)
from lawful.store.audit import AuditEntry
from lawful.store.crypto import Keyring

Company = Any  # tests/conftest.py: ExampleCompany
TODAY = date(2026, 11, 22)


def _candidate(company: Company) -> dict[str, Any]:
    """A candidate with applications, so erasure has several datasets to go through."""
    applications = company.table("applications")
    chosen = min(a["candidate_id"] for a in applications.values())
    return dict(company.table("candidates")[chosen])


def _identity(company: Company, *pairs: str) -> Identity:
    return parse_identity(pairs, datamap=company.datamap)


def _hold(
    company: Company,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    *,
    scope: HoldScope,
    people: list[Identity] | None = None,
    datasets: list[str] | None = None,
    reference: str | None = None,
    find_records: bool = True,
) -> str:
    with sessions() as session:
        hold = add_legal_hold(
            session, keyring=keyring, datamap=company.datamap, scope=scope,
            reason="Employment tribunal claim", owner="Legal counsel", actor="staff:7",
            people=people or [], datasets=datasets or [], reference=reference,
        )  # fmt: skip
        session.commit()
        if find_records:
            with company.datastores() as datastores:
                refresh_held_records(
                    session, datamap=company.datamap, datastores=datastores, keyring=keyring
                )
            session.commit()
        return hold.id


def _erase(
    company: Company, sessions: sessionmaker[Session], keyring: Keyring, identity: Identity
) -> JobReport:
    with company.datastores() as datastores:
        return run_erasure(
            sessions,
            datamap=company.datamap,
            identity=identity,
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )


def _kept(report: JobReport, reason: str) -> dict[str, int]:
    return {k["dataset"]: k["records"] for k in report.summary["kept"] if k["reason"] == reason}


def test_a_person_on_hold_is_not_erased_and_the_result_says_why(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate = _candidate(sqlite_company)
    person = _identity(sqlite_company, f"email={candidate['email']}")
    _hold(
        sqlite_company, platform_sessions, platform_keyring, scope=HoldScope.person, people=[person]
    )
    before = {d: sqlite_company.table(d) for d in ("candidates", "applications")}
    report = _erase(sqlite_company, platform_sessions, platform_keyring, person)
    assert report.status == "done"
    assert {d: sqlite_company.table(d) for d in before} == before
    kept = _kept(report, "legal_hold")
    assert kept["candidates"] == 1
    assert kept["applications"] >= 1
    why = next(k["why"] for k in report.summary["kept"] if k["reason"] == "legal_hold")
    assert "Employment tribunal claim" in why
    assert "GDPR Art. 17(3)(e)" in why


def test_a_person_held_by_another_identifier_is_kept_through_their_records(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate = _candidate(sqlite_company)
    by_phone = _identity(sqlite_company, f"phone={candidate['phone']}")
    _hold(
        sqlite_company,
        platform_sessions,
        platform_keyring,
        scope=HoldScope.person,
        people=[by_phone],
    )
    report = _erase(
        sqlite_company,
        platform_sessions,
        platform_keyring,
        _identity(sqlite_company, f"email={candidate['email']}"),
    )
    assert candidate["candidate_id"] in sqlite_company.table("candidates")
    assert _kept(report, "legal_hold")["candidates"] == 1


def test_a_dataset_on_hold_is_kept_while_the_rest_of_the_person_is_erased(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate = _candidate(sqlite_company)
    applications_before = sqlite_company.table("applications")
    _hold(sqlite_company, platform_sessions, platform_keyring, scope=HoldScope.case,
          reference="Audit 2026-7", datasets=["applications"])  # fmt: skip
    report = _erase(
        sqlite_company,
        platform_sessions,
        platform_keyring,
        _identity(sqlite_company, f"email={candidate['email']}"),
    )
    assert candidate["candidate_id"] not in sqlite_company.table("candidates")  # erase: delete
    assert sqlite_company.table("applications") == applications_before
    assert "applications" in _kept(report, "legal_hold")


def test_a_released_hold_no_longer_stops_erasure_and_both_steps_are_audited(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate = _candidate(sqlite_company)
    person = _identity(sqlite_company, f"email={candidate['email']}")
    hold_id = _hold(sqlite_company, platform_sessions, platform_keyring,
                    scope=HoldScope.person, people=[person])  # fmt: skip
    with platform_sessions() as session:
        release_legal_hold(session, hold_id=hold_id, actor="staff:8", note="Claim settled")
        session.commit()
        assert list_legal_holds(session) == []
        (released,) = list_legal_holds(session, include_released=True)
        assert (released.released_by, released.release_note) == ("staff:8", "Claim settled")
        entries = [
            (e.action, e.actor, e.subject_id)
            for e in session.query(AuditEntry).filter(AuditEntry.subject_type == "legal_hold")
        ]
    assert entries == [
        ("legal_hold.placed", "staff:7", hold_id),
        ("legal_hold.released", "staff:8", hold_id),
    ]
    _erase(sqlite_company, platform_sessions, platform_keyring, person)
    assert candidate["candidate_id"] not in sqlite_company.table("candidates")


def test_a_hold_lists_its_person_masked_with_reason_and_owner(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate = _candidate(sqlite_company)
    person = _identity(sqlite_company, f"email={candidate['email']}")
    _hold(sqlite_company, platform_sessions, platform_keyring, scope=HoldScope.person,
          people=[person], find_records=False)  # fmt: skip
    with platform_sessions() as session:
        (hold,) = list_legal_holds(session)
        view = view_hold(platform_keyring, hold, datamap=sqlite_company.datamap)
    local, _, domain = candidate["email"].partition("@")
    assert view.people == [f"email {local[0]}…@{domain}"]
    assert candidate["email"] not in repr(view)
    assert (view.reason, view.owner, view.scope) == (
        "Employment tribunal claim",
        "Legal counsel",
        "person",
    )


@pytest.mark.parametrize(
    ("scope", "people", "datasets", "reference", "field"),
    [
        (HoldScope.person, 0, [], None, "scope"),
        (HoldScope.person, 1, ["candidates"], None, "scope"),
        (HoldScope.dataset, 0, [], None, "scope"),
        (HoldScope.case, 1, [], None, "scope"),
        (HoldScope.dataset, 0, ["no_such_dataset"], None, "datasets"),
    ],
)
def test_a_hold_that_names_the_wrong_things_is_refused_with_the_field_at_fault(
    sqlite_company: Company,
    platform_sessions: sessionmaker[Session],
    platform_keyring: Keyring,
    scope: HoldScope,
    people: int,
    datasets: list[str],
    reference: str | None,
    field: str,
) -> None:
    person = _identity(sqlite_company, "email=someone@example.org")
    with platform_sessions() as session, pytest.raises(InvalidHoldError) as caught:
        add_legal_hold(
            session, keyring=platform_keyring, datamap=sqlite_company.datamap, scope=scope,
            reason="Claim", owner="Counsel", actor="staff:1", people=[person] * people,
            datasets=datasets, reference=reference,
        )  # fmt: skip
    assert caught.value.field == field
    assert caught.value.http_status == 422


def test_a_hold_needs_a_reason_and_an_owner(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    with platform_sessions() as session:
        for reason, owner, field in (("  ", "Counsel", "reason"), ("Claim", "", "owner")):
            with pytest.raises(InvalidHoldError) as caught:
                add_legal_hold(
                    session, keyring=platform_keyring, datamap=sqlite_company.datamap,
                    scope=HoldScope.dataset, reason=reason, owner=owner, actor="staff:1",
                    datasets=["candidates"],
                )  # fmt: skip
            assert caught.value.field == field


def test_releasing_an_unknown_or_released_hold_says_so(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    hold_id = _hold(sqlite_company, platform_sessions, platform_keyring,
                    scope=HoldScope.dataset, datasets=["candidates"], find_records=False)  # fmt: skip
    with platform_sessions() as session:
        with pytest.raises(HoldNotFoundError, match="lawful hold list"):
            release_legal_hold(session, hold_id="nope", actor="staff:1", note="x")
        with pytest.raises(InvalidHoldError, match="why the hold is released"):
            release_legal_hold(session, hold_id=hold_id, actor="staff:1", note=" ")
        release_legal_hold(session, hold_id=hold_id, actor="staff:1", note="Closed")
        session.commit()
        with pytest.raises(HoldConflictError, match="already released"):
            release_legal_hold(session, hold_id=hold_id, actor="staff:1", note="again")
        assert session.get(LegalHold, hold_id) is not None
