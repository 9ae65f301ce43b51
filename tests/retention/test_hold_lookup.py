"""Legal holds are looked up by the database (issue 19): erasure asks which active hold names
the person, one of their datasets or one of their records with a few bounded queries, however
many holds there are; never by loading every hold and its people into Python. Adversarial:
hundreds of holds on other people, released holds on the person, a case hold naming them in
mixed case among others, and holds placed before the lookup tables existed (migration)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.erasure import run_erasure
from lawful.engine.identity import Identity, parse_identity
from lawful.engine.jobs import JobReport
from lawful.retention.holds import legal_holds_on
from lawful.retention.models import HoldScope, LegalHoldDataset, LegalHoldValue
from lawful.retention.service import add_legal_hold, release_legal_hold, value_index
from lawful.store.crypto import Keyring
from lawful.store.migrate import alembic_config

Company = Any  # tests/conftest.py: ExampleCompany
TODAY = date(2026, 11, 22)


def _candidate(company: Company) -> dict[str, Any]:
    applications = company.table("applications")
    chosen = min(a["candidate_id"] for a in applications.values())
    return dict(company.table("candidates")[chosen])


def _identity(company: Company, *pairs: str) -> Identity:
    return parse_identity(pairs, datamap=company.datamap)


def _place(
    session: Session, company: Company, keyring: Keyring, scope: HoldScope, **what: Any
) -> str:
    hold = add_legal_hold(
        session, keyring=keyring, datamap=company.datamap, scope=scope, reason="Tribunal claim",
        owner="Legal counsel", actor="staff:7", **what,
    )  # fmt: skip
    return hold.id


@contextmanager
def _hold_statements(sessions: sessionmaker[Session]) -> Iterator[list[str]]:
    """The SQL statements on the hold tables while the block runs."""
    engine = sessions.kw["bind"]
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "legal_hold" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _erase(
    company: Company, sessions: sessionmaker[Session], keyring: Keyring, identity: Identity
) -> JobReport:
    with company.datastores() as datastores:
        return run_erasure(
            sessions, datamap=company.datamap, identity=identity, datastores=datastores,
            keyring=keyring, today=TODAY, holds=legal_holds_on,
        )  # fmt: skip


def _kept_why(report: JobReport) -> dict[str, str]:
    return {k["dataset"]: k["why"] for k in report.summary["kept"] if k["reason"] == "legal_hold"}


def test_among_hundreds_of_holds_a_case_naming_the_person_in_mixed_case_keeps_them(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate = _candidate(sqlite_company)
    email = candidate["email"]
    shouted = email.upper() if email.upper() != email else email.title()
    with platform_sessions() as session:
        for n in range(300):  # other people, some of them by several values
            others = [f"email=other{n}@example.org"] + ([f"phone=+4420790{n:05d}"] if n % 3 else [])
            _place(session, sqlite_company, platform_keyring, HoldScope.person,
                   people=[_identity(sqlite_company, *others)])  # fmt: skip
        for _ in range(20):  # whole datasets the candidate has no record in
            _place(session, sqlite_company, platform_keyring, HoldScope.dataset,
                   datasets=["employees"])  # fmt: skip
        released = _place(session, sqlite_company, platform_keyring, HoldScope.person,
                          people=[_identity(sqlite_company, f"email={email}")])  # fmt: skip
        release_legal_hold(session, hold_id=released, actor="staff:8", note="Settled")
        _place(session, sqlite_company, platform_keyring, HoldScope.case, reference="Case 2026-19",
               people=[_identity(sqlite_company, "email=witness@example.org"),
                       _identity(sqlite_company, f"email={shouted}")])  # fmt: skip
        session.commit()
    before = sqlite_company.table("candidates")[candidate["candidate_id"]]
    with _hold_statements(platform_sessions) as statements:
        report = _erase(sqlite_company, platform_sessions, platform_keyring,
                        _identity(sqlite_company, f"email={email.lower()}"))  # fmt: skip
    assert sqlite_company.table("candidates")[candidate["candidate_id"]] == before
    why = _kept_why(report)
    assert {"candidates", "applications"} <= set(why)
    assert all("Case 2026-19" in reason for reason in why.values())
    # A handful of bounded queries, not one per hold or person (322 holds, 421 people here).
    assert len(statements) <= 6, statements


def test_the_number_of_hold_queries_does_not_grow_with_the_holds(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    chosen = sorted({a["candidate_id"] for a in sqlite_company.table("applications").values()})
    candidates = [sqlite_company.table("candidates")[c] for c in chosen[:2]]
    counts = []
    for batch, candidate in zip((1, 200), candidates, strict=True):
        person = _identity(sqlite_company, f"email={candidate['email']}")
        with platform_sessions() as session:
            for n in range(batch):
                _place(session, sqlite_company, platform_keyring, HoldScope.person,
                       people=[_identity(sqlite_company, f"email=b{batch}-{n}@example.org")])  # fmt: skip
            session.commit()
        with _hold_statements(platform_sessions) as statements:
            report = _erase(sqlite_company, platform_sessions, platform_keyring, person)
        counts.append(len(statements))
        assert _kept_why(report) == {}
        assert candidate["candidate_id"] not in sqlite_company.table("candidates")
    assert counts[0] == counts[1]


def test_a_dataset_named_by_a_released_hold_and_an_active_one_keeps_to_the_active_one(
    sqlite_company: Company, platform_sessions: sessionmaker[Session], platform_keyring: Keyring
) -> None:
    candidate = _candidate(sqlite_company)
    applications = sqlite_company.table("applications")
    with platform_sessions() as session:
        old = _place(session, sqlite_company, platform_keyring, HoldScope.case,
                     reference="Old case", datasets=["applications"])  # fmt: skip
        release_legal_hold(session, hold_id=old, actor="staff:8", note="Closed")
        for n in range(30):
            _place(session, sqlite_company, platform_keyring, HoldScope.case,
                   reference=f"Audit {n}", datasets=["applications", "employees"])  # fmt: skip
        session.commit()
    report = _erase(sqlite_company, platform_sessions, platform_keyring,
                    _identity(sqlite_company, f"email={candidate['email']}"))  # fmt: skip
    assert candidate["candidate_id"] not in sqlite_company.table("candidates")
    assert sqlite_company.table("applications") == applications
    why = _kept_why(report)
    assert set(why) == {"applications"}
    assert "Audit " in why["applications"]
    assert "Old case" not in why["applications"]


def test_holds_placed_before_the_lookup_tables_are_copied_into_them(
    tmp_path: Path, platform_keyring: Keyring
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "42501212f534")
    engine: Engine = sa.create_engine(url)
    held = value_index(platform_keyring, "email", "held@example.org")
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO legal_holds (id, scope, reason, owner, datasets, created_by, created_at)"
            " VALUES ('h1', 'case', 'Claim', 'Counsel', '[\"applications\", \"candidates\"]',"
            " 'staff:1', '2026-11-30 10:00:00')"
        ))  # fmt: skip
        conn.execute(
            sa.text(
                "INSERT INTO legal_hold_people (hold_id, identity_sealed, identity_index,"
                " value_indexes) VALUES ('h1', x'00', 'i', :values)"
            ),
            {"values": f'["{held}", "{held}"]'},
        )
    command.upgrade(config, "heads")
    with Session(engine) as session:
        assert [v.value_index for v in session.scalars(sa.select(LegalHoldValue))] == [held]
        assert sorted(d.dataset for d in session.scalars(sa.select(LegalHoldDataset))) == [
            "applications",
            "candidates",
        ]
    engine.dispose()
