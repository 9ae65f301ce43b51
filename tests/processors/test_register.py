"""The processor register (GDPR Art. 28): agreements recorded against the map's processors,
a change of sub-processor drawn up as one notice per client it touches (Art. 28(2)), each
notice recorded as sent once, also when two staff do it at once; all of it audited."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.processors.errors import (
    InvalidProcessorError,
    NoticeConflictError,
    ProcessorNotFoundError,
)
from lawful.processors.models import Authorisation, ChangeKind, SubprocessorChange
from lawful.processors.service import announce_change, mark_sent, record_agreement, register
from lawful.store.audit import AuditEntry
from lawful.store.db import create_store_engine, session_factory

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def datamap() -> DataMap:
    return load_datamap(EXAMPLE).datamap


def test_the_register_lists_the_maps_processors_with_their_agreements_and_clients(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        record_agreement(session, datamap=datamap, recipient="hosting_us", signed_on=date(2025, 3, 1),
                         authorisation=Authorisation.general, actor="dpo", at=NOW)  # fmt: skip
        rows = {row.recipient: row for row in register(session, datamap=datamap)}
        assert "urssaf" not in rows  # an authority is no processor
        assert rows["hosting_us"].clients == ["brightpath"]
        assert rows["hosting_fr"].clients == []
        assert rows["hosting_fr"].agreement is None
        agreement = rows["hosting_us"].agreement
        assert agreement is not None
        assert (
            agreement.safeguards == "Certified under the EU-US Data Privacy Framework."
        )  # from the map


def test_a_change_of_sub_processor_draws_up_a_notice_for_each_client_it_touches(
    platform_sessions: sessionmaker[Session], datamap: DataMap
) -> None:
    with platform_sessions() as session:
        change = announce_change(session, datamap=datamap, recipient="hosting_gr", kind=ChangeKind.replaced,
                                 description="The Athens racks move to a second data centre in Patras.",
                                 effective_on=date(2027, 2, 1), actor="dpo", at=NOW)  # fmt: skip
        [notice] = change.notices
        assert notice.client == "lumiere"
        assert notice.text.startswith("To Data protection officer, Lumière Énergie SA")
        assert (
            "from 1 Feb 2027 we intend to replace a sub-processor: Aegean Datacentres S.A. (GR)"
            in notice.text
        )
        assert (
            "for: Customer care for Lumière Énergie's customers; Quality monitoring of calls "
            "for Lumière Énergie."
        ) in notice.text
        assert "You may object to this change before 1 Feb 2027" in notice.text
        assert notice.sent_at is None
        mark_sent(session, notice_id=notice.id, actor="dpo", at=NOW)
        with pytest.raises(NoticeConflictError, match="already recorded as sent on 7 Dec 2026"):
            mark_sent(session, notice_id=notice.id, actor="dpo", at=NOW)
        session.commit()
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        assert actions[-2:] == ["processor.change_announced", "processor.notice_sent"]


@pytest.mark.parametrize(
    ("given", "error", "words"),
    [
        (
            {"recipient": "urssaf"},
            ProcessorNotFoundError,
            "`urssaf` is not a processor of the map; processors: ",
        ),
        (
            {"effective_on": date(2026, 12, 7)},
            InvalidProcessorError,
            "clients may object before it does",
        ),
        ({"description": "  "}, InvalidProcessorError, "Say what changes"),
    ],
)
def test_a_change_that_cannot_be_announced_is_refused_with_how_to_fix_it(
    platform_sessions: sessionmaker[Session], datamap: DataMap, given: dict[str, object],
    error: type[Exception], words: str,
) -> None:  # fmt: skip
    arguments: dict[str, object] = {"recipient": "hosting_gr", "kind": ChangeKind.added, "description": "x",
                                    "effective_on": date(2027, 1, 1), "actor": "dpo", "at": NOW} | given  # fmt: skip
    with (
        platform_sessions() as session,
        pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")),
    ):
        announce_change(session, datamap=datamap, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_two_staff_recording_a_notice_as_sent_at_once_record_it_once(
    request: pytest.FixtureRequest, store: str, datamap: DataMap
) -> None:
    """The lock, attacked: ten sessions mark the same notice sent, on both stores."""
    fixture = "sqlite_url" if store == "sqlite" else "pg_store_url"
    engine = create_store_engine(request.getfixturevalue(fixture))
    sessions = session_factory(engine)
    try:
        with sessions() as session:
            session.execute(delete(SubprocessorChange))
            change = announce_change(session, datamap=datamap, recipient="hosting_us", kind=ChangeKind.added,
                                     description="A backup site in Ohio.", effective_on=date(2099, 1, 1),
                                     actor="dpo")  # fmt: skip
            session.commit()
            notice_id = change.notices[0].id

        def send(n: int) -> str:
            with sessions() as session:
                try:
                    mark_sent(session, notice_id=notice_id, actor=f"staff:{n}")
                except NoticeConflictError:
                    session.rollback()
                    return "conflict"
                session.commit()
                return "sent"

        with ThreadPoolExecutor(10) as pool:
            outcomes = Counter(pool.map(send, range(10)))
        assert outcomes == {"sent": 1, "conflict": 9}
        with sessions() as session:
            session.execute(delete(SubprocessorChange))
            session.commit()
    finally:
        engine.dispose()
