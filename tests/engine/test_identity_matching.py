"""The person is found whatever form their email was stored in (case, stray spaces), in
every column that holds it, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from lawful.engine.access import run_access
from lawful.engine.erasure import run_erasure
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

TODAY = __import__("datetime").date(2026, 11, 22)


def _found(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring, email: str
) -> dict[str, Any]:
    with sessions() as session, club.datastores() as datastores:
        result = run_access(
            session,
            datamap=club.datamap,
            identity=club.identity(f"email={email}"),
            datastores=datastores,
            keyring=keyring,
        )
    return {d.labels.dataset: d.rows for d in result.datasets}


def test_an_email_stored_in_mixed_case_with_a_trailing_space_is_found(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    found = _found(club, sessions, keyring, "ANN.lee@example.ORG")
    assert [r["member_no"] for r in found["members"]] == [1]
    assert len(found["loans"]) == 1


def test_every_column_holding_the_identity_is_searched(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    found = _found(club, sessions, keyring, "ann.lee@example.org")
    # Row 1 by `email` (upper case, a space), row 2 by `alt_email`; Cy's row 3 is not hers.
    assert sorted(r["sub_id"] for r in found["newsletter"]) == [1, 2]


def test_erasure_reaches_the_rows_found_by_either_email_column_and_no_other(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with club.datastores() as datastores:
        report = run_erasure(
            sessions,
            datamap=club.datamap,
            identity=club.identity("email=Ann.Lee@example.org"),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )
    assert report.status == "done", report
    after = club.snapshot()
    assert [r["sub_id"] for r in after["newsletter"]] == [3]
    ann = next(r for r in after["members"] if r["member_no"] == 1)
    assert ann["full_name"] == "(erased)"
    assert [r["full_name"] for r in after["members"] if r["member_no"] != 1] == ["Bo Kim", "Cy Ray"]


def test_on_postgresql_the_case_blind_match_uses_the_documented_expression_index(
    pg_club: Any,
) -> None:
    with pg_club.engine.begin() as conn:  # the CREATE INDEX docs/connectors.md gives
        conn.exec_driver_sql("CREATE INDEX newsletter_email_ci ON newsletter (lower(trim(email)))")
    sent: list[tuple[str, Any]] = []
    with pg_club.datastores() as datastores:
        connector = datastores.get("club")
        event.listen(
            connector._engine,  # the statement the connector really sends
            "before_cursor_execute",
            lambda _c, _cur, statement, params, _ctx, _many: sent.append((statement, params)),
        )
        rows = connector.fetch(
            "newsletter",
            where={"email": ["ann.lee@example.org"]},
            columns=["sub_id"],
            casefold=["email"],
        )
    assert [r["sub_id"] for r in rows] == [1]
    statement, params = next((s, p) for s, p in sent if "newsletter" in s)
    with pg_club.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a 6-row table: as if 1M
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", params))
    assert "newsletter_email_ci" in plan, plan
