"""The audit trail filtered by who, what, about what and when, and exported (CSV, JSON Lines)
with the hash chain's check; the export is itself audited. Bad filters are named, not
obeyed halfway."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import select, update

from lawful.auth.models import Role, StaffUser
from lawful.store.audit import AuditEntry, record_event

from .conftest import TestClient, Web


def _seed(web: Web) -> str:
    """A few entries by two actors, one of them back-dated; the officer's id."""
    officer = web.signed_in(Role.privacy_officer)
    assert officer.get("/admin/audit").status_code == 200
    with web.platform.sessions() as session:
        officer_id = session.scalars(
            select(StaffUser.id).where(StaffUser.role == Role.privacy_officer)
        ).one()
        record_event(
            session,
            actor=f"staff:{officer_id}",
            action="request.approved",
            subject_type="rights_request",
            subject_id="r-1",
            details={"note": "=1+1"},
        )
        record_event(
            session,
            actor="policy",
            action="request.expired",
            subject_type="rights_request",
            subject_id="r-2",
        )
        record_event(session, actor="person", action="consent.given", subject_type="consent",
                     subject_id="c-1", at=datetime(2026, 1, 15, 12, tzinfo=UTC))  # fmt: skip
        session.commit()
    return str(officer_id)


def _table(auditor: TestClient, params: dict[str, str]) -> str:
    """The entries' table of the page (the filters' lists name every action)."""
    response = auditor.get("/admin/audit", params=params)
    assert response.status_code == 200, response.text
    return str(response.text.split("<table", 1)[1])


def test_the_trail_is_filtered_by_actor_action_subject_and_dates(web: Web) -> None:
    officer_id = _seed(web)
    auditor = web.signed_in(Role.auditor)
    by_actor = _table(auditor, {"actor": f"staff:{officer_id}"})
    assert "request.approved" in by_actor
    assert "request.expired" not in by_actor
    by_group = _table(auditor, {"action": "request."})
    assert "request.approved" in by_group
    assert "request.expired" in by_group
    assert "consent.given" not in by_group
    exact = _table(auditor, {"action": "request.expired"})
    assert "request.approved" not in exact
    about = _table(auditor, {"subject": "r-2"})
    assert "request.expired" in about
    assert "request.approved" not in about
    january = _table(auditor, {"from": "2026-01-15", "to": "2026-01-15"})
    assert "consent.given" in january
    assert "request.expired" not in january
    assert "1 entry" in january
    wildcard = _table(auditor, {"action": "%", "subject": "%"})
    assert "0 entries" in wildcard


def test_bad_filters_are_refused_saying_how_to_write_them(web: Web) -> None:
    _seed(web)
    auditor = web.signed_in(Role.auditor)
    bad_date = auditor.get("/admin/audit", params={"from": "15/01/2026"})
    assert bad_date.status_code == 422
    assert "write it as 2026-12-31" in bad_date.text
    backwards = auditor.get("/admin/audit", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert backwards.status_code == 422
    assert "wrong way round" in backwards.text
    odd = auditor.get("/admin/audit/export", params={"format": "xlsx"})
    assert odd.status_code == 422
    assert "use csv or jsonl" in odd.text


def test_the_export_carries_the_chain_check_and_is_audited(web: Web) -> None:
    officer_id = _seed(web)
    auditor = web.signed_in(Role.auditor)
    jsonl = auditor.get("/admin/audit/export", params={"format": "jsonl", "action": "request."})
    assert jsonl.status_code == 200
    assert "attachment" in jsonl.headers["content-disposition"]
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    check = lines[0]["verification"]
    assert check["intact"] is True
    assert check["entries_checked"] >= 3
    entries = lines[1:]
    assert {e["action"] for e in entries} == {"request.approved", "request.expired"}
    approved = next(e for e in entries if e["action"] == "request.approved")
    assert approved["actor_name"] == "privacy_officer (privacy_officer)"
    assert approved["actor"] == f"staff:{officer_id}"
    assert len(approved["hash"]) == 64
    exported = (
        web.platform.sessions()
        .scalars(select(AuditEntry).where(AuditEntry.action == "audit.exported"))
        .one()
    )
    assert exported.details["entries"] == 2
    assert exported.details["format"] == "jsonl"
    assert exported.details["filters"] == {"action": "request."}
    # CSV: the check first, then the entries; a cell that reads as a formula is text.
    text = auditor.get("/admin/audit/export", params={"format": "csv"}).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["verification", "intact"]
    header = rows.index(["seq", "at", "actor", "actor_name", "action", "subject_type",
                         "subject_id", "details", "prev_hash", "hash", "chain_version"])  # fmt: skip
    assert any(r[4] == "audit.exported" for r in rows[header + 1 :])
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_an_edited_entry_makes_the_export_say_the_chain_is_broken(web: Web) -> None:
    _seed(web)
    with web.platform.sessions() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.subject_id == "r-2").values(actor="someone")
        )
        session.commit()
    auditor = web.signed_in(Role.auditor)
    text = auditor.get("/admin/audit/export", params={"format": "csv"}).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["verification", "BROKEN"]
    assert any(row[:1] == ["break"] for row in rows[1:5])
    jsonl = auditor.get("/admin/audit/export", params={"format": "jsonl"}).text
    assert json.loads(jsonl.splitlines()[0])["verification"]["intact"] is False
