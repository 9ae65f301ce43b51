"""The DPIA register (GDPR Art. 35): purposes screened on the WP248 criteria, DPIAs opened,
numbered (also when staff open them at once), moved forward only, approved with a summary and
a review date, every change in the audit trail (which fields, never the text)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.dpia.errors import DpiaNotFoundError, InvalidDpiaError
from lawful.dpia.models import Dpia, DpiaState
from lawful.dpia.service import get_dpia, open_dpia, screen_purposes, update_dpia
from lawful.law.dpia import Criterion, screen
from lawful.store.audit import AuditEntry
from lawful.store.db import create_store_engine, session_factory

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def datamap() -> DataMap:
    return load_datamap(EXAMPLE).datamap


def test_two_criteria_make_a_dpia_required_and_one_does_not() -> None:
    assert not screen([]).required
    assert not screen([Criterion.large_scale]).required
    both = screen([Criterion.vulnerable_subjects, Criterion.evaluation, Criterion.evaluation])
    assert both.required
    assert both.criteria == (Criterion.evaluation, Criterion.vulnerable_subjects)  # WP248 order
    assert "2 of 9 criteria met (evaluation, vulnerable_subjects)" in both.summary()


def test_the_example_screens_background_checks_as_needing_the_dpia_the_map_names(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        rows = {row.purpose: row for row in screen_purposes(session, datamap=datamap)}
        check = rows["background_screening"]
        assert check.screening.required
        assert check.reference == "DPIA-2026-0001"
        assert Criterion.sensitive_data in check.screening.criteria  # shown by criminal data
        assert check.missing  # named by the map, not yet in the register
        assert not rows["payroll"].screening.required
        assert "lumiere_customer_care" not in rows  # a client's purpose: the client assesses it
        open_dpia(session, datamap=datamap, purpose="background_screening", actor="staff:1",
                  reference="DPIA-2026-0001", at=NOW)  # fmt: skip
        rows = {row.purpose: row for row in screen_purposes(session, datamap=datamap)}
        assert rows["background_screening"].dpia is not None
        assert not rows["background_screening"].missing


def test_dpias_are_numbered_per_year_with_the_maps_and_given_criteria(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        first = open_dpia(session, datamap=datamap, purpose="background_screening",
                          actor="staff:1", at=NOW)  # fmt: skip
        second = open_dpia(session, datamap=datamap, purpose="recruitment", actor="staff:1",
                           criteria=["evaluation", "large_scale"], at=NOW)  # fmt: skip
        assert (first.reference, second.reference) == ("DPIA-2026-0001", "DPIA-2026-0002")
        assert first.criteria == ["evaluation", "sensitive_data", "vulnerable_subjects"]
        assert second.criteria == ["evaluation", "large_scale"]
        assert first.state is DpiaState.required
        session.commit()
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dpia.opened")
        ).first()
        assert entry is not None
        assert entry.subject_id == "DPIA-2026-0001"


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"purpose": "nope"}, "purpose", "`nope` is not a purpose of the map; purposes: "),
        ({"criteria": ["scoring"]}, "criteria", "Unknown criterion scoring; criteria: "),
    ],
)
def test_an_unknown_purpose_or_criterion_is_refused_with_the_choices(
    platform_sessions: sessionmaker[Session],
    datamap: DataMap,
    given: dict[str, object],
    field: str,
    words: str,
) -> None:
    arguments: dict[str, object] = {"purpose": "recruitment", "actor": "staff:1"} | given
    with platform_sessions() as session, pytest.raises(InvalidDpiaError) as raised:
        open_dpia(session, datamap=datamap, **arguments)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert words in raised.value.message


def test_a_reference_already_in_the_register_is_refused(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        open_dpia(
            session, datamap=datamap, purpose="recruitment", actor="a", reference="DPIA-2026-0007"
        )
        with pytest.raises(InvalidDpiaError, match="DPIA-2026-0007 is already in the register"):
            open_dpia(
                session, datamap=datamap, purpose="payroll", actor="a", reference="dpia-2026-0007"
            )


def test_approval_needs_a_summary_and_a_review_date_and_never_goes_back(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        dpia = open_dpia(
            session, datamap=datamap, purpose="background_screening", actor="a", at=NOW
        )
        reference = dpia.reference
        with pytest.raises(InvalidDpiaError, match="Write the summary of risks and measures"):
            update_dpia(session, reference=reference, actor="b", state=DpiaState.approved, at=NOW)
        update_dpia(session, reference=reference, actor="b", state=DpiaState.started,
                    summary="Extracts are seen by two recruiters only.", at=NOW)  # fmt: skip
        with pytest.raises(InvalidDpiaError, match="Set a review date before approving"):
            update_dpia(session, reference=reference, actor="b", state=DpiaState.approved, at=NOW)
        with pytest.raises(InvalidDpiaError, match="The review date is in the past"):
            update_dpia(session, reference=reference, actor="b", review_on=date(2026, 1, 1), at=NOW)
        approved = update_dpia(session, reference=reference, actor="dpo", state=DpiaState.approved,
                               review_on=date(2027, 12, 1), at=NOW)  # fmt: skip
        assert (approved.state, approved.approved_by) == (DpiaState.approved, "dpo")
        with pytest.raises(InvalidDpiaError, match="is approved: it cannot become started"):
            update_dpia(session, reference=reference, actor="b", state=DpiaState.started, at=NOW)
        with pytest.raises(InvalidDpiaError, match="Nothing to change"):
            update_dpia(session, reference=reference, actor="b", at=NOW)
        session.commit()
        details = [e.details for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dpia.updated").order_by(AuditEntry.seq))]  # fmt: skip
        assert details == [
            {"changed": ["summary", "state"], "state": "started"},
            {"changed": ["review_on", "state"], "state": "approved"},
        ]
        assert "recruiters" not in str(details)  # the text stays in the register
        with pytest.raises(DpiaNotFoundError, match="No DPIA DPIA-2026-0099 in the register"):
            get_dpia(session, reference="DPIA-2026-0099")


def test_staff_opening_dpias_at_once_each_get_their_own_number(
    pg_store_url: str, datamap: DataMap
) -> None:
    """The counter, attacked: twelve sessions open a DPIA at once on PostgreSQL."""
    engine = create_store_engine(pg_store_url)
    sessions = session_factory(engine)
    try:
        with sessions() as session:
            session.execute(delete(Dpia))
            session.commit()

        def open_one(n: int) -> str:
            with sessions() as session:
                dpia = open_dpia(
                    session, datamap=datamap, purpose="recruitment", actor=f"s{n}", at=NOW
                )
                session.commit()
                return dpia.reference

        with ThreadPoolExecutor(12) as pool:
            references = list(pool.map(open_one, range(12)))
        assert sorted(references) == [f"DPIA-2026-{n:04d}" for n in range(1, 13)]
        with sessions() as session:
            assert len(session.scalars(select(Dpia)).all()) == 12
            session.execute(delete(Dpia))
            session.commit()
    finally:
        engine.dispose()
